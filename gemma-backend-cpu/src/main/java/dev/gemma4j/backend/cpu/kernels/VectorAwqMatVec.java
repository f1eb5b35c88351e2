package dev.gemma4j.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AwqMatVec} with the Java Vector API. The packed weights stream row by row: each input row's span of
 * the thread's columns is read front to back (the checkpoint's layout is input-major, so reading a narrow
 * column strip down all rows would jump a page per load). One int32 vector brings {@code 8 · lanes}
 * weights; each of its eight nibbles is shifted, masked and converted to float in registers and multiplied
 * into its own accumulator, kept nibble-major in a small buffer that stays in the first-level cache. After
 * each group the sums are corrected by zero point and scale, {@code s · (Σ x q - z · Σ x)} (with
 * {@code q} in [0, 15] the two sums are of the size of their difference: nothing cancels), and scattered
 * to {@code y} at the end. Two rows of {@code x} share each weight load (batched decode, prefill). Loaded
 * only through {@link dev.gemma4j.internal.vector.VectorSupport}.
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

  /** Packed columns per pass: long contiguous reads of each weight row, sums within the second-level cache. */
  private static final int TILE = 1024;

  @Override
  public void multiply(float[] x, int rows, AwqMatrix w, int from, int to, float[] y, int yStride) {
    int end = from + (to - from) / LANES * LANES;
    for (int t = from; t < end; t += TILE) {
      tile(x, rows, w, t, Math.min(end, t + TILE), y, yStride);
    }
    if (end < to) {
      TAILS.multiply(x, rows, w, end, to, y, yStride);
    }
  }

  private static void tile(float[] x, int rows, AwqMatrix w, int from, int to, float[] y, int yStride) {
    int width = to - from;
    {
      float[] acc = new float[16 * width];
      float[] out = new float[16 * width];
      int m = 0;
      for (; m + 1 < rows; m += 2) {
        Arrays.fill(out, 0);
        two(x, m * w.in(), (m + 1) * w.in(), w, from, width, acc, out);
        scatter(out, 0, width, y, m * yStride + 8 * from);
        scatter(out, 8 * width, width, y, (m + 1) * yStride + 8 * from);
      }
      for (; m < rows; m++) {
        Arrays.fill(out, 0, 8 * width, 0);
        one(x, m * w.in(), w, from, width, acc, out);
        scatter(out, 0, width, y, m * yStride + 8 * from);
      }
    }
  }

  private static void one(float[] x, int xBase, AwqMatrix w, int from, int width, float[] acc, float[] out) {
    MemorySegment qweight = w.qweight();
    int packed = w.packed();
    int group = w.groupSize();
    for (int g = 0; g < w.in() / group; g++) {
      Arrays.fill(acc, 0, 8 * width, 0);
      float xs = 0;
      for (int i = g * group, last = i + group; i < last; i++) {
        float xi = x[xBase + i];
        xs += xi;
        row1(qweight, 4L * ((long) i * packed + from), width, xi, acc);
      }
      correct(acc, 0, xs, w.scales(), w.zeros(), (g * 8) * packed + from, packed, width, out, 0);
    }
  }

  private static void two(float[] x, int xBaseA, int xBaseB, AwqMatrix w, int from, int width, float[] acc, float[] out) {
    MemorySegment qweight = w.qweight();
    int packed = w.packed();
    int group = w.groupSize();
    for (int g = 0; g < w.in() / group; g++) {
      Arrays.fill(acc, 0);
      float xsa = 0;
      float xsb = 0;
      for (int i = g * group, last = i + group; i < last; i++) {
        float xia = x[xBaseA + i];
        float xib = x[xBaseB + i];
        xsa += xia;
        xsb += xib;
        row2(qweight, 4L * ((long) i * packed + from), width, xia, xib, acc);
      }
      correct(acc, 0, xsa, w.scales(), w.zeros(), (g * 8) * packed + from, packed, width, out, 0);
      correct(acc, 8 * width, xsb, w.scales(), w.zeros(), (g * 8) * packed + from, packed, width, out, 8 * width);
    }
  }

  /**
   * One input row's weights times {@code xi} into the nibble-major sums. Small and on its own, so that C2
   * inlines every Vector API call in it and keeps the vectors in registers.
   */
  private static void row1(MemorySegment qweight, long row, int width, float xi, float[] acc) {
    FloatVector xa = FloatVector.broadcast(F, xi);
    for (int c = 0; c < width; c += LANES) {
      IntVector q = IntVector.fromMemorySegment(I, qweight, row + 4L * c, LE);
      FloatVector n0 = (FloatVector) q.and(15).convert(VectorOperators.I2F, 0);
      n0.fma(xa, FloatVector.fromArray(F, acc, 0 * width + c)).intoArray(acc, 0 * width + c);
      FloatVector n1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0);
      n1.fma(xa, FloatVector.fromArray(F, acc, 1 * width + c)).intoArray(acc, 1 * width + c);
      FloatVector n2 = (FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0);
      n2.fma(xa, FloatVector.fromArray(F, acc, 2 * width + c)).intoArray(acc, 2 * width + c);
      FloatVector n3 = (FloatVector) q.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0);
      n3.fma(xa, FloatVector.fromArray(F, acc, 3 * width + c)).intoArray(acc, 3 * width + c);
      FloatVector n4 = (FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0);
      n4.fma(xa, FloatVector.fromArray(F, acc, 4 * width + c)).intoArray(acc, 4 * width + c);
      FloatVector n5 = (FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0);
      n5.fma(xa, FloatVector.fromArray(F, acc, 5 * width + c)).intoArray(acc, 5 * width + c);
      FloatVector n6 = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0);
      n6.fma(xa, FloatVector.fromArray(F, acc, 6 * width + c)).intoArray(acc, 6 * width + c);
      FloatVector n7 = (FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0);
      n7.fma(xa, FloatVector.fromArray(F, acc, 7 * width + c)).intoArray(acc, 7 * width + c);
        }
  }

  /** Like {@link #row1} for two rows of {@code x}: each weight load serves both. */
  private static void row2(MemorySegment qweight, long row, int width, float xia, float xib, float[] acc) {
    FloatVector xa = FloatVector.broadcast(F, xia);
    FloatVector xb = FloatVector.broadcast(F, xib);
    for (int c = 0; c < width; c += LANES) {
      IntVector q = IntVector.fromMemorySegment(I, qweight, row + 4L * c, LE);
      FloatVector n0 = (FloatVector) q.and(15).convert(VectorOperators.I2F, 0);
      n0.fma(xa, FloatVector.fromArray(F, acc, 0 * width + c)).intoArray(acc, 0 * width + c);
      n0.fma(xb, FloatVector.fromArray(F, acc, (0 + 8) * width + c)).intoArray(acc, (0 + 8) * width + c);
      FloatVector n1 = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0);
      n1.fma(xa, FloatVector.fromArray(F, acc, 1 * width + c)).intoArray(acc, 1 * width + c);
      n1.fma(xb, FloatVector.fromArray(F, acc, (1 + 8) * width + c)).intoArray(acc, (1 + 8) * width + c);
      FloatVector n2 = (FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0);
      n2.fma(xa, FloatVector.fromArray(F, acc, 2 * width + c)).intoArray(acc, 2 * width + c);
      n2.fma(xb, FloatVector.fromArray(F, acc, (2 + 8) * width + c)).intoArray(acc, (2 + 8) * width + c);
      FloatVector n3 = (FloatVector) q.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0);
      n3.fma(xa, FloatVector.fromArray(F, acc, 3 * width + c)).intoArray(acc, 3 * width + c);
      n3.fma(xb, FloatVector.fromArray(F, acc, (3 + 8) * width + c)).intoArray(acc, (3 + 8) * width + c);
      FloatVector n4 = (FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0);
      n4.fma(xa, FloatVector.fromArray(F, acc, 4 * width + c)).intoArray(acc, 4 * width + c);
      n4.fma(xb, FloatVector.fromArray(F, acc, (4 + 8) * width + c)).intoArray(acc, (4 + 8) * width + c);
      FloatVector n5 = (FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0);
      n5.fma(xa, FloatVector.fromArray(F, acc, 5 * width + c)).intoArray(acc, 5 * width + c);
      n5.fma(xb, FloatVector.fromArray(F, acc, (5 + 8) * width + c)).intoArray(acc, (5 + 8) * width + c);
      FloatVector n6 = (FloatVector) q.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0);
      n6.fma(xa, FloatVector.fromArray(F, acc, 6 * width + c)).intoArray(acc, 6 * width + c);
      n6.fma(xb, FloatVector.fromArray(F, acc, (6 + 8) * width + c)).intoArray(acc, (6 + 8) * width + c);
      FloatVector n7 = (FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0);
      n7.fma(xa, FloatVector.fromArray(F, acc, 7 * width + c)).intoArray(acc, 7 * width + c);
      n7.fma(xb, FloatVector.fromArray(F, acc, (7 + 8) * width + c)).intoArray(acc, (7 + 8) * width + c);
        }
  }

  /** {@code out += s · (acc - z · xSum)} for the eight nibbles of one group. */
  private static void correct(
      float[] acc, int accAt, float xSum, float[] scales, float[] zeros, int first, int packed, int width, float[] out,
      int outAt) {
    for (int k = 0; k < 8; k++) {
      int sz = first + k * packed;
      int at = k * width;
      for (int c = 0; c < width; c += LANES) {
        FloatVector s = FloatVector.fromArray(F, scales, sz + c);
        FloatVector z = FloatVector.fromArray(F, zeros, sz + c);
        FloatVector a = FloatVector.fromArray(F, acc, accAt + at + c);
        s.fma(a.sub(z.mul(xSum)), FloatVector.fromArray(F, out, outAt + at + c)).intoArray(out, outAt + at + c);
      }
    }
  }

  /** Nibble-major sums to output columns {@code 8 · j + ORDER[k]}. */
  private static void scatter(float[] out, int at, int width, float[] y, int base) {
    for (int k = 0; k < 8; k++) {
      for (int c = 0; c < width; c += LANES) {
        FloatVector.fromArray(F, out, at + k * width + c).intoArray(y, base + 8 * c + AwqMatrix.ORDER[k], SCATTER, 0);
      }
    }
  }
}
