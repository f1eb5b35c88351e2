package dev.gemma4j.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AwqMatVec} with the Java Vector API. One int32 vector load brings {@code 8 · lanes} weights of one
 * input row; each of its eight nibbles is shifted, masked and converted to float in registers and
 * less its zero point (an exact small integer) multiplied into its own accumulator, so eight accumulators
 * per row of {@code x} cover {@code 8 · lanes} output columns. After each group the accumulators are scaled
 * into a small nibble-major buffer, which is scattered to {@code y} at the end. Two rows of {@code x} share each weight
 * load (batched decode, prefill). Loaded only through {@link dev.gemma4j.internal.vector.VectorSupport}.
 */
public final class VectorAwqMatVec implements AwqMatVec {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int[] SCATTER = new int[LANES];
  private static final AwqMatVec TAILS = new ScalarAwqMatVec();

  static {
    for (int l = 0; l < LANES; l++) {
      SCATTER[l] = 8 * l;
    }
  }

  /** Creates the vector kernel; requires {@code jdk.incubator.vector}. */
  public VectorAwqMatVec() {
    if (I.length() != LANES) {
      throw new IllegalStateException("int and float vectors differ in lanes");
    }
  }

  @Override
  public void multiply(float[] x, int rows, AwqMatrix w, int from, int to, float[] y, int yStride) {
    int end = from + (to - from) / LANES * LANES;
    float[] acc = new float[16 * LANES];
    int m = 0;
    for (; m + 1 < rows; m += 2) {
      for (int j = from; j < end; j += LANES) {
        java.util.Arrays.fill(acc, 0);
        two(x, m * w.in(), (m + 1) * w.in(), w.qweight(), w.packed(), w.groupSize(), w.in() / w.groupSize(),
            w.scales(), w.zeros(), j, acc);
        scatter(acc, 0, y, m * yStride + 8 * j);
        scatter(acc, 8 * LANES, y, (m + 1) * yStride + 8 * j);
      }
    }
    for (; m < rows; m++) {
      for (int j = from; j < end; j += LANES) {
        java.util.Arrays.fill(acc, 0, 8 * LANES, 0);
        one(x, m * w.in(), w.qweight(), w.packed(), w.groupSize(), w.in() / w.groupSize(), w.scales(), w.zeros(), j, acc);
        scatter(acc, 0, y, m * yStride + 8 * j);
      }
    }
    if (end < to) {
      TAILS.multiply(x, rows, w, end, to, y, yStride);
    }
  }

  private static void one(
      float[] x, int xBase, MemorySegment qweight, int packed, int group, int groups, float[] scales, float[] zeros,
      int j, float[] acc) {
    for (int g = 0; g < groups; g++) {
      FloatVector z0 = FloatVector.fromArray(F, zeros, (g * 8 + 0) * packed + j);
      FloatVector z1 = FloatVector.fromArray(F, zeros, (g * 8 + 1) * packed + j);
      FloatVector z2 = FloatVector.fromArray(F, zeros, (g * 8 + 2) * packed + j);
      FloatVector z3 = FloatVector.fromArray(F, zeros, (g * 8 + 3) * packed + j);
      FloatVector z4 = FloatVector.fromArray(F, zeros, (g * 8 + 4) * packed + j);
      FloatVector z5 = FloatVector.fromArray(F, zeros, (g * 8 + 5) * packed + j);
      FloatVector z6 = FloatVector.fromArray(F, zeros, (g * 8 + 6) * packed + j);
      FloatVector z7 = FloatVector.fromArray(F, zeros, (g * 8 + 7) * packed + j);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      FloatVector a4 = FloatVector.zero(F);
      FloatVector a5 = FloatVector.zero(F);
      FloatVector a6 = FloatVector.zero(F);
      FloatVector a7 = FloatVector.zero(F);
      for (int i = g * group, last = i + group; i < last; i++) {
        float xi = x[xBase + i];
        FloatVector xv = FloatVector.broadcast(F, xi);
        IntVector q = IntVector.fromMemorySegment(I, qweight, 4L * ((long) i * packed + j), LE);
        FloatVector n0 = (FloatVector) q.and(15).convert(VectorOperators.I2F, 0);
        a0 = n0.sub(z0).fma(xv, a0);
        FloatVector n1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0);
        a1 = n1.sub(z1).fma(xv, a1);
        FloatVector n2 = (FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0);
        a2 = n2.sub(z2).fma(xv, a2);
        FloatVector n3 = (FloatVector) q.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0);
        a3 = n3.sub(z3).fma(xv, a3);
        FloatVector n4 = (FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0);
        a4 = n4.sub(z4).fma(xv, a4);
        FloatVector n5 = (FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0);
        a5 = n5.sub(z5).fma(xv, a5);
        FloatVector n6 = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0);
        a6 = n6.sub(z6).fma(xv, a6);
        FloatVector n7 = (FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0);
        a7 = n7.sub(z7).fma(xv, a7);
      }
      correct(a0, scales, (g * 8 + 0) * packed + j, acc, 0 * LANES);
      correct(a1, scales, (g * 8 + 1) * packed + j, acc, 1 * LANES);
      correct(a2, scales, (g * 8 + 2) * packed + j, acc, 2 * LANES);
      correct(a3, scales, (g * 8 + 3) * packed + j, acc, 3 * LANES);
      correct(a4, scales, (g * 8 + 4) * packed + j, acc, 4 * LANES);
      correct(a5, scales, (g * 8 + 5) * packed + j, acc, 5 * LANES);
      correct(a6, scales, (g * 8 + 6) * packed + j, acc, 6 * LANES);
      correct(a7, scales, (g * 8 + 7) * packed + j, acc, 7 * LANES);
    }
  }

  private static void two(
      float[] x, int xBaseA, int xBaseB, MemorySegment qweight, int packed, int group, int groups, float[] scales,
      float[] zeros, int j, float[] acc) {
    for (int g = 0; g < groups; g++) {
      FloatVector z0 = FloatVector.fromArray(F, zeros, (g * 8 + 0) * packed + j);
      FloatVector z1 = FloatVector.fromArray(F, zeros, (g * 8 + 1) * packed + j);
      FloatVector z2 = FloatVector.fromArray(F, zeros, (g * 8 + 2) * packed + j);
      FloatVector z3 = FloatVector.fromArray(F, zeros, (g * 8 + 3) * packed + j);
      FloatVector z4 = FloatVector.fromArray(F, zeros, (g * 8 + 4) * packed + j);
      FloatVector z5 = FloatVector.fromArray(F, zeros, (g * 8 + 5) * packed + j);
      FloatVector z6 = FloatVector.fromArray(F, zeros, (g * 8 + 6) * packed + j);
      FloatVector z7 = FloatVector.fromArray(F, zeros, (g * 8 + 7) * packed + j);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector b0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector b1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector b2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      FloatVector b3 = FloatVector.zero(F);
      FloatVector a4 = FloatVector.zero(F);
      FloatVector b4 = FloatVector.zero(F);
      FloatVector a5 = FloatVector.zero(F);
      FloatVector b5 = FloatVector.zero(F);
      FloatVector a6 = FloatVector.zero(F);
      FloatVector b6 = FloatVector.zero(F);
      FloatVector a7 = FloatVector.zero(F);
      FloatVector b7 = FloatVector.zero(F);
      for (int i = g * group, last = i + group; i < last; i++) {
        float xia = x[xBaseA + i];
        float xib = x[xBaseB + i];
        FloatVector xa = FloatVector.broadcast(F, xia);
        FloatVector xb = FloatVector.broadcast(F, xib);
        IntVector q = IntVector.fromMemorySegment(I, qweight, 4L * ((long) i * packed + j), LE);
        FloatVector n0 = (FloatVector) q.and(15).convert(VectorOperators.I2F, 0);
        FloatVector d0 = n0.sub(z0);
        a0 = d0.fma(xa, a0);
        b0 = d0.fma(xb, b0);
        FloatVector n1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0);
        FloatVector d1 = n1.sub(z1);
        a1 = d1.fma(xa, a1);
        b1 = d1.fma(xb, b1);
        FloatVector n2 = (FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0);
        FloatVector d2 = n2.sub(z2);
        a2 = d2.fma(xa, a2);
        b2 = d2.fma(xb, b2);
        FloatVector n3 = (FloatVector) q.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0);
        FloatVector d3 = n3.sub(z3);
        a3 = d3.fma(xa, a3);
        b3 = d3.fma(xb, b3);
        FloatVector n4 = (FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0);
        FloatVector d4 = n4.sub(z4);
        a4 = d4.fma(xa, a4);
        b4 = d4.fma(xb, b4);
        FloatVector n5 = (FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0);
        FloatVector d5 = n5.sub(z5);
        a5 = d5.fma(xa, a5);
        b5 = d5.fma(xb, b5);
        FloatVector n6 = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0);
        FloatVector d6 = n6.sub(z6);
        a6 = d6.fma(xa, a6);
        b6 = d6.fma(xb, b6);
        FloatVector n7 = (FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0);
        FloatVector d7 = n7.sub(z7);
        a7 = d7.fma(xa, a7);
        b7 = d7.fma(xb, b7);
      }
      correct(a0, scales, (g * 8 + 0) * packed + j, acc, 0 * LANES);
      correct(b0, scales, (g * 8 + 0) * packed + j, acc, (8 + 0) * LANES);
      correct(a1, scales, (g * 8 + 1) * packed + j, acc, 1 * LANES);
      correct(b1, scales, (g * 8 + 1) * packed + j, acc, (8 + 1) * LANES);
      correct(a2, scales, (g * 8 + 2) * packed + j, acc, 2 * LANES);
      correct(b2, scales, (g * 8 + 2) * packed + j, acc, (8 + 2) * LANES);
      correct(a3, scales, (g * 8 + 3) * packed + j, acc, 3 * LANES);
      correct(b3, scales, (g * 8 + 3) * packed + j, acc, (8 + 3) * LANES);
      correct(a4, scales, (g * 8 + 4) * packed + j, acc, 4 * LANES);
      correct(b4, scales, (g * 8 + 4) * packed + j, acc, (8 + 4) * LANES);
      correct(a5, scales, (g * 8 + 5) * packed + j, acc, 5 * LANES);
      correct(b5, scales, (g * 8 + 5) * packed + j, acc, (8 + 5) * LANES);
      correct(a6, scales, (g * 8 + 6) * packed + j, acc, 6 * LANES);
      correct(b6, scales, (g * 8 + 6) * packed + j, acc, (8 + 6) * LANES);
      correct(a7, scales, (g * 8 + 7) * packed + j, acc, 7 * LANES);
      correct(b7, scales, (g * 8 + 7) * packed + j, acc, (8 + 7) * LANES);
    }
  }

  /** {@code acc[at ..] += s · a} for one nibble's lanes. */
  private static void correct(FloatVector a, float[] scales, int index, float[] acc, int at) {
    FloatVector.fromArray(F, scales, index).fma(a, FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
  }

  /** Nibble-major {@code acc} to output columns {@code 8 · l + ORDER[k]}. */
  private static void scatter(float[] acc, int at, float[] y, int base) {
    for (int k = 0; k < 8; k++) {
      FloatVector.fromArray(F, acc, at + k * LANES).intoArray(y, base + AwqMatrix.ORDER[k], SCATTER, 0);
    }
  }
}
