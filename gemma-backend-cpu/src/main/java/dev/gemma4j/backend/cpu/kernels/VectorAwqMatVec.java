package dev.gemma4j.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AwqMatVec} with the Java Vector API, over the strips of an {@link AwqMatrix}: a strip's input rows
 * lie one after the other, so the kernel reads it front to back, one int32 vector of {@code 8 · lanes}
 * weights per row, and keeps the sums of one group in registers, one accumulator per nibble. Nibble
 * {@code k} is masked in place and converted as the integer {@code q · 16^k}, exactly (no shift: vector
 * shifts are what made this kernel slow on Zen 4; the top nibble, whose place is the sign bit, is shifted
 * down); the sum is {@code 16^k} times the sum of {@code x · q}, so scaling it back is exact. After each
 * group the sums are corrected by zero point and scale, {@code s · (Σ x q - z · Σ x)} (with {@code q} in
 * [0, 15] the two sums are of the size of their difference: nothing cancels), and at the end scattered to
 * {@code y}. Four input rows per step for one row of {@code x}, two for two rows, which share each
 * converted weight (batched decode, prefill). Columns outside whole strips, and group sizes that are not a
 * multiple of four, go to the scalar kernel. Loaded only through
 * {@link dev.gemma4j.internal.vector.VectorSupport}.
 */
public final class VectorAwqMatVec implements AwqMatVec {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final long ROW_BYTES = 4L * AwqMatrix.STRIP;
  private static final int[] SCATTER = new int[LANES];
  private static final AwqMatVec SCALAR = new ScalarAwqMatVec();
  /** Per nibble, the inverse of the power of two its place in the word puts into its sums. */
  private static final float[] UNSCALE = {1f, 0x1p-4f, 0x1p-8f, 0x1p-12f, 0x1p-16f, 0x1p-20f, 0x1p-24f, 1f};

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
    int strip = AwqMatrix.STRIP;
    int first = Math.min(to, (from + strip - 1) / strip * strip);
    int last = Math.max(first, Math.min(to, w.packed()) / strip * strip);
    if (strip % LANES != 0 || w.groupSize() % 4 != 0) {
      first = to;
      last = to;
    }
    if (from < first) {
      SCALAR.multiply(x, rows, w, from, first, y, yStride);
    }
    float[] sums = new float[2 * 8 * strip];
    for (int s = first / strip; s < last / strip; s++) {
      strip(x, rows, w, s, sums, y, yStride);
    }
    if (last < to) {
      SCALAR.multiply(x, rows, w, last, to, y, yStride);
    }
  }

  /**
   * Strip {@code s} for every row of {@code x}: two rows at a time, then the odd one; group by group, each
   * group's lines read once for all the vector widths a strip holds (two with 256-bit vectors).
   */
  private static void strip(float[] x, int rows, AwqMatrix w, int s, float[] sums, float[] y, int yStride) {
    int strip = AwqMatrix.STRIP;
    int m = 0;
    for (; m + 1 < rows; m += 2) {
      Arrays.fill(sums, 0);
      for (int g = 0; g < w.in() / w.groupSize(); g++) {
        for (int part = 0; part < strip; part += LANES) {
          groupTwo(x, m * w.in(), (m + 1) * w.in(), w, s, part, g, sums);
        }
      }
      scatter(sums, 0, y, m * yStride + 8 * strip * s);
      scatter(sums, 8 * strip, y, (m + 1) * yStride + 8 * strip * s);
    }
    if (m < rows) {
      Arrays.fill(sums, 0, 8 * strip, 0);
      for (int g = 0; g < w.in() / w.groupSize(); g++) {
        for (int part = 0; part < strip; part += LANES) {
          groupOne(x, m * w.in(), w, s, part, g, sums);
        }
      }
      scatter(sums, 0, y, m * yStride + 8 * strip * s);
    }
  }

  /**
   * One row of {@code x} over group {@code g} of lanes {@code part ..} of strip {@code s}: the eight nibble
   * sums stay in registers down the group's rows, then are corrected into {@code sums} (nibble-major, a
   * strip's width per nibble). Small and on its own, so that C2 inlines every Vector API call in it.
   */
  private static void groupOne(float[] x, int xBase, AwqMatrix w, int s, int part, int g, float[] sums) {
    MemorySegment words = w.words();
    int group = w.groupSize();
    int first = g * group;
    long at = AwqMatrix.stripOffset(w.in(), s) + ROW_BYTES * first + 4L * part;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    float xSum = 0;
    int xAt = xBase + first;
    for (int i = 0; i < group; i += 4, at += 4 * ROW_BYTES) {
      float x0 = x[xAt + i + 0];
      float x1 = x[xAt + i + 1];
      float x2 = x[xAt + i + 2];
      float x3 = x[xAt + i + 3];
      xSum += (x0 + x1) + (x2 + x3);
      FloatVector v0 = FloatVector.broadcast(F, x0);
      IntVector q0 = IntVector.fromMemorySegment(I, words, at + 0 * ROW_BYTES, LE);
      FloatVector v1 = FloatVector.broadcast(F, x1);
      IntVector q1 = IntVector.fromMemorySegment(I, words, at + 1 * ROW_BYTES, LE);
      FloatVector v2 = FloatVector.broadcast(F, x2);
      IntVector q2 = IntVector.fromMemorySegment(I, words, at + 2 * ROW_BYTES, LE);
      FloatVector v3 = FloatVector.broadcast(F, x3);
      IntVector q3 = IntVector.fromMemorySegment(I, words, at + 3 * ROW_BYTES, LE);
      a0 = ((FloatVector) q0.and(0xF).convert(VectorOperators.I2F, 0)).fma(v0, a0);
      a1 = ((FloatVector) q0.and(0xF0).convert(VectorOperators.I2F, 0)).fma(v0, a1);
      a2 = ((FloatVector) q0.and(0xF00).convert(VectorOperators.I2F, 0)).fma(v0, a2);
      a3 = ((FloatVector) q0.and(0xF000).convert(VectorOperators.I2F, 0)).fma(v0, a3);
      a4 = ((FloatVector) q0.and(0xF0000).convert(VectorOperators.I2F, 0)).fma(v0, a4);
      a5 = ((FloatVector) q0.and(0xF00000).convert(VectorOperators.I2F, 0)).fma(v0, a5);
      a6 = ((FloatVector) q0.and(0xF000000).convert(VectorOperators.I2F, 0)).fma(v0, a6);
      a7 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(v0, a7);
      a0 = ((FloatVector) q1.and(0xF).convert(VectorOperators.I2F, 0)).fma(v1, a0);
      a1 = ((FloatVector) q1.and(0xF0).convert(VectorOperators.I2F, 0)).fma(v1, a1);
      a2 = ((FloatVector) q1.and(0xF00).convert(VectorOperators.I2F, 0)).fma(v1, a2);
      a3 = ((FloatVector) q1.and(0xF000).convert(VectorOperators.I2F, 0)).fma(v1, a3);
      a4 = ((FloatVector) q1.and(0xF0000).convert(VectorOperators.I2F, 0)).fma(v1, a4);
      a5 = ((FloatVector) q1.and(0xF00000).convert(VectorOperators.I2F, 0)).fma(v1, a5);
      a6 = ((FloatVector) q1.and(0xF000000).convert(VectorOperators.I2F, 0)).fma(v1, a6);
      a7 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(v1, a7);
      a0 = ((FloatVector) q2.and(0xF).convert(VectorOperators.I2F, 0)).fma(v2, a0);
      a1 = ((FloatVector) q2.and(0xF0).convert(VectorOperators.I2F, 0)).fma(v2, a1);
      a2 = ((FloatVector) q2.and(0xF00).convert(VectorOperators.I2F, 0)).fma(v2, a2);
      a3 = ((FloatVector) q2.and(0xF000).convert(VectorOperators.I2F, 0)).fma(v2, a3);
      a4 = ((FloatVector) q2.and(0xF0000).convert(VectorOperators.I2F, 0)).fma(v2, a4);
      a5 = ((FloatVector) q2.and(0xF00000).convert(VectorOperators.I2F, 0)).fma(v2, a5);
      a6 = ((FloatVector) q2.and(0xF000000).convert(VectorOperators.I2F, 0)).fma(v2, a6);
      a7 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(v2, a7);
      a0 = ((FloatVector) q3.and(0xF).convert(VectorOperators.I2F, 0)).fma(v3, a0);
      a1 = ((FloatVector) q3.and(0xF0).convert(VectorOperators.I2F, 0)).fma(v3, a1);
      a2 = ((FloatVector) q3.and(0xF00).convert(VectorOperators.I2F, 0)).fma(v3, a2);
      a3 = ((FloatVector) q3.and(0xF000).convert(VectorOperators.I2F, 0)).fma(v3, a3);
      a4 = ((FloatVector) q3.and(0xF0000).convert(VectorOperators.I2F, 0)).fma(v3, a4);
      a5 = ((FloatVector) q3.and(0xF00000).convert(VectorOperators.I2F, 0)).fma(v3, a5);
      a6 = ((FloatVector) q3.and(0xF000000).convert(VectorOperators.I2F, 0)).fma(v3, a6);
      a7 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(v3, a7);
    }
    int sz = g * 8 * w.packed() + AwqMatrix.STRIP * s + part;
    correct(a0, 0, xSum, w, sz, sums, part);
    correct(a1, 1, xSum, w, sz, sums, part);
    correct(a2, 2, xSum, w, sz, sums, part);
    correct(a3, 3, xSum, w, sz, sums, part);
    correct(a4, 4, xSum, w, sz, sums, part);
    correct(a5, 5, xSum, w, sz, sums, part);
    correct(a6, 6, xSum, w, sz, sums, part);
    correct(a7, 7, xSum, w, sz, sums, part);
  }

  /** {@link #groupOne} for two rows of {@code x}: each weight converted once serves both. */
  private static void groupTwo(float[] x, int xBaseA, int xBaseB, AwqMatrix w, int s, int part, int g, float[] sums) {
    MemorySegment words = w.words();
    int group = w.groupSize();
    int first = g * group;
    long at = AwqMatrix.stripOffset(w.in(), s) + ROW_BYTES * first + 4L * part;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    FloatVector b4 = a0;
    FloatVector b5 = a0;
    FloatVector b6 = a0;
    FloatVector b7 = a0;
    float xSumA = 0;
    float xSumB = 0;
    int xAtA = xBaseA + first;
    int xAtB = xBaseB + first;
    for (int i = 0; i < group; i += 2, at += 2 * ROW_BYTES) {
      float xa0 = x[xAtA + i + 0];
      float xb0 = x[xAtB + i + 0];
      float xa1 = x[xAtA + i + 1];
      float xb1 = x[xAtB + i + 1];
      xSumA += xa0 + xa1;
      xSumB += xb0 + xb1;
      FloatVector va0 = FloatVector.broadcast(F, xa0);
      FloatVector vb0 = FloatVector.broadcast(F, xb0);
      IntVector q0 = IntVector.fromMemorySegment(I, words, at + 0 * ROW_BYTES, LE);
      FloatVector va1 = FloatVector.broadcast(F, xa1);
      FloatVector vb1 = FloatVector.broadcast(F, xb1);
      IntVector q1 = IntVector.fromMemorySegment(I, words, at + 1 * ROW_BYTES, LE);
      FloatVector n00 = ((FloatVector) q0.and(0xF).convert(VectorOperators.I2F, 0));
      a0 = n00.fma(va0, a0);
      b0 = n00.fma(vb0, b0);
      FloatVector n01 = ((FloatVector) q0.and(0xF0).convert(VectorOperators.I2F, 0));
      a1 = n01.fma(va0, a1);
      b1 = n01.fma(vb0, b1);
      FloatVector n02 = ((FloatVector) q0.and(0xF00).convert(VectorOperators.I2F, 0));
      a2 = n02.fma(va0, a2);
      b2 = n02.fma(vb0, b2);
      FloatVector n03 = ((FloatVector) q0.and(0xF000).convert(VectorOperators.I2F, 0));
      a3 = n03.fma(va0, a3);
      b3 = n03.fma(vb0, b3);
      FloatVector n04 = ((FloatVector) q0.and(0xF0000).convert(VectorOperators.I2F, 0));
      a4 = n04.fma(va0, a4);
      b4 = n04.fma(vb0, b4);
      FloatVector n05 = ((FloatVector) q0.and(0xF00000).convert(VectorOperators.I2F, 0));
      a5 = n05.fma(va0, a5);
      b5 = n05.fma(vb0, b5);
      FloatVector n06 = ((FloatVector) q0.and(0xF000000).convert(VectorOperators.I2F, 0));
      a6 = n06.fma(va0, a6);
      b6 = n06.fma(vb0, b6);
      FloatVector n07 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0));
      a7 = n07.fma(va0, a7);
      b7 = n07.fma(vb0, b7);
      FloatVector n10 = ((FloatVector) q1.and(0xF).convert(VectorOperators.I2F, 0));
      a0 = n10.fma(va1, a0);
      b0 = n10.fma(vb1, b0);
      FloatVector n11 = ((FloatVector) q1.and(0xF0).convert(VectorOperators.I2F, 0));
      a1 = n11.fma(va1, a1);
      b1 = n11.fma(vb1, b1);
      FloatVector n12 = ((FloatVector) q1.and(0xF00).convert(VectorOperators.I2F, 0));
      a2 = n12.fma(va1, a2);
      b2 = n12.fma(vb1, b2);
      FloatVector n13 = ((FloatVector) q1.and(0xF000).convert(VectorOperators.I2F, 0));
      a3 = n13.fma(va1, a3);
      b3 = n13.fma(vb1, b3);
      FloatVector n14 = ((FloatVector) q1.and(0xF0000).convert(VectorOperators.I2F, 0));
      a4 = n14.fma(va1, a4);
      b4 = n14.fma(vb1, b4);
      FloatVector n15 = ((FloatVector) q1.and(0xF00000).convert(VectorOperators.I2F, 0));
      a5 = n15.fma(va1, a5);
      b5 = n15.fma(vb1, b5);
      FloatVector n16 = ((FloatVector) q1.and(0xF000000).convert(VectorOperators.I2F, 0));
      a6 = n16.fma(va1, a6);
      b6 = n16.fma(vb1, b6);
      FloatVector n17 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0));
      a7 = n17.fma(va1, a7);
      b7 = n17.fma(vb1, b7);
    }
    int sz = g * 8 * w.packed() + AwqMatrix.STRIP * s + part;
    int b = 8 * AwqMatrix.STRIP;
    correct(a0, 0, xSumA, w, sz, sums, part);
    correct(b0, 0, xSumB, w, sz, sums, b + part);
    correct(a1, 1, xSumA, w, sz, sums, part);
    correct(b1, 1, xSumB, w, sz, sums, b + part);
    correct(a2, 2, xSumA, w, sz, sums, part);
    correct(b2, 2, xSumB, w, sz, sums, b + part);
    correct(a3, 3, xSumA, w, sz, sums, part);
    correct(b3, 3, xSumB, w, sz, sums, b + part);
    correct(a4, 4, xSumA, w, sz, sums, part);
    correct(b4, 4, xSumB, w, sz, sums, b + part);
    correct(a5, 5, xSumA, w, sz, sums, part);
    correct(b5, 5, xSumB, w, sz, sums, b + part);
    correct(a6, 6, xSumA, w, sz, sums, part);
    correct(b6, 6, xSumB, w, sz, sums, b + part);
    correct(a7, 7, xSumA, w, sz, sums, part);
    correct(b7, 7, xSumB, w, sz, sums, b + part);
  }

  /**
   * {@code sums[at + k · STRIP ..] += s · (acc · 16^-k - z · xSum)} for nibble {@code k}'s lanes, its scale
   * and zero point at {@code sz + k · packed}: {@code 16^-k} undoes the power of two the nibble's place put
   * into its sums (the top nibble was shifted down instead).
   */
  private static void correct(FloatVector acc, int k, float xSum, AwqMatrix w, int sz, float[] sums, int at) {
    int index = sz + k * w.packed();
    int into = at + k * AwqMatrix.STRIP;
    FloatVector s = FloatVector.fromArray(F, w.scales(), index);
    FloatVector z = FloatVector.fromArray(F, w.zeros(), index);
    s.fma(acc.mul(UNSCALE[k]).sub(z.mul(xSum)), FloatVector.fromArray(F, sums, into)).intoArray(sums, into);
  }

  /** A strip's nibble-major sums to output columns {@code 8 · j + ORDER[k]}. */
  private static void scatter(float[] sums, int at, float[] y, int base) {
    for (int k = 0; k < 8; k++) {
      for (int c = 0; c < AwqMatrix.STRIP; c += LANES) {
        FloatVector.fromArray(F, sums, at + k * AwqMatrix.STRIP + c).intoArray(y, base + 8 * c + AwqMatrix.ORDER[k], SCATTER, 0);
      }
    }
  }
}
