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
 * into its own accumulator; four input rows are summed in registers before the sums, kept nibble-major in a
 * small cached buffer, are loaded and stored. After
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
        xs += x[xBase + i];
      }
      for (int i = g * group, last = i + group; i < last; i += 4) {
        rows4(qweight, 4L * ((long) i * packed + from), 4L * packed, width, x, xBase + i, acc);
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
        xsa += x[xBaseA + i];
        xsb += x[xBaseB + i];
      }
      for (int i = g * group, last = i + group; i < last; i += 4) {
        rows4x2(qweight, 4L * ((long) i * packed + from), 4L * packed, width, x, xBaseA + i, xBaseB + i, acc);
      }
      correct(acc, 0, xsa, w.scales(), w.zeros(), (g * 8) * packed + from, packed, width, out, 0);
      correct(acc, 8 * width, xsb, w.scales(), w.zeros(), (g * 8) * packed + from, packed, width, out, 8 * width);
    }
  }

  /**
   * Four consecutive input rows' weights times their {@code x} into the nibble-major sums, which are loaded
   * and stored once per four rows. Small and on its own, so that C2 inlines every Vector API call in it and
   * keeps the vectors in registers.
   */
  private static void rows4(MemorySegment qweight, long row, long stride, int width, float[] x, int xi, float[] acc) {
    FloatVector x0 = FloatVector.broadcast(F, x[xi]);
    FloatVector x1 = FloatVector.broadcast(F, x[xi + 1]);
    FloatVector x2 = FloatVector.broadcast(F, x[xi + 2]);
    FloatVector x3 = FloatVector.broadcast(F, x[xi + 3]);
    for (int c = 0; c < width; c += LANES) {
      FloatVector a0 = FloatVector.fromArray(F, acc, 0 * width + c);
      FloatVector a1 = FloatVector.fromArray(F, acc, 1 * width + c);
      FloatVector a2 = FloatVector.fromArray(F, acc, 2 * width + c);
      FloatVector a3 = FloatVector.fromArray(F, acc, 3 * width + c);
      FloatVector a4 = FloatVector.fromArray(F, acc, 4 * width + c);
      FloatVector a5 = FloatVector.fromArray(F, acc, 5 * width + c);
      FloatVector a6 = FloatVector.fromArray(F, acc, 6 * width + c);
      FloatVector a7 = FloatVector.fromArray(F, acc, 7 * width + c);
      IntVector q0 = IntVector.fromMemorySegment(I, qweight, row + 0 * stride + 4L * c, LE);
      a0 = ((FloatVector) q0.and(15).convert(VectorOperators.I2F, 0)).fma(x0, a0);
      a1 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(x0, a1);
      a2 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).fma(x0, a2);
      a3 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).fma(x0, a3);
      a4 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).fma(x0, a4);
      a5 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).fma(x0, a5);
      a6 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).fma(x0, a6);
      a7 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x0, a7);
      IntVector q1 = IntVector.fromMemorySegment(I, qweight, row + 1 * stride + 4L * c, LE);
      a0 = ((FloatVector) q1.and(15).convert(VectorOperators.I2F, 0)).fma(x1, a0);
      a1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(x1, a1);
      a2 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).fma(x1, a2);
      a3 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).fma(x1, a3);
      a4 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).fma(x1, a4);
      a5 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).fma(x1, a5);
      a6 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).fma(x1, a6);
      a7 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x1, a7);
      IntVector q2 = IntVector.fromMemorySegment(I, qweight, row + 2 * stride + 4L * c, LE);
      a0 = ((FloatVector) q2.and(15).convert(VectorOperators.I2F, 0)).fma(x2, a0);
      a1 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(x2, a1);
      a2 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).fma(x2, a2);
      a3 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).fma(x2, a3);
      a4 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).fma(x2, a4);
      a5 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).fma(x2, a5);
      a6 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).fma(x2, a6);
      a7 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x2, a7);
      IntVector q3 = IntVector.fromMemorySegment(I, qweight, row + 3 * stride + 4L * c, LE);
      a0 = ((FloatVector) q3.and(15).convert(VectorOperators.I2F, 0)).fma(x3, a0);
      a1 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(x3, a1);
      a2 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).fma(x3, a2);
      a3 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).fma(x3, a3);
      a4 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).fma(x3, a4);
      a5 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).fma(x3, a5);
      a6 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).fma(x3, a6);
      a7 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x3, a7);
      a0.intoArray(acc, 0 * width + c);
      a1.intoArray(acc, 1 * width + c);
      a2.intoArray(acc, 2 * width + c);
      a3.intoArray(acc, 3 * width + c);
      a4.intoArray(acc, 4 * width + c);
      a5.intoArray(acc, 5 * width + c);
      a6.intoArray(acc, 6 * width + c);
      a7.intoArray(acc, 7 * width + c);
    }
  }

  /** {@link #rows4} for two rows of {@code x}: each weight load serves both. */
  private static void rows4x2(
      MemorySegment qweight, long row, long stride, int width, float[] x, int xa, int xb, float[] acc) {
    FloatVector xa0 = FloatVector.broadcast(F, x[xa + 0]);
    FloatVector xb0 = FloatVector.broadcast(F, x[xb + 0]);
    FloatVector xa1 = FloatVector.broadcast(F, x[xa + 1]);
    FloatVector xb1 = FloatVector.broadcast(F, x[xb + 1]);
    FloatVector xa2 = FloatVector.broadcast(F, x[xa + 2]);
    FloatVector xb2 = FloatVector.broadcast(F, x[xb + 2]);
    FloatVector xa3 = FloatVector.broadcast(F, x[xa + 3]);
    FloatVector xb3 = FloatVector.broadcast(F, x[xb + 3]);
    for (int c = 0; c < width; c += LANES) {
      FloatVector a0 = FloatVector.fromArray(F, acc, 0 * width + c);
      FloatVector b0 = FloatVector.fromArray(F, acc, (0 + 8) * width + c);
      FloatVector a1 = FloatVector.fromArray(F, acc, 1 * width + c);
      FloatVector b1 = FloatVector.fromArray(F, acc, (1 + 8) * width + c);
      FloatVector a2 = FloatVector.fromArray(F, acc, 2 * width + c);
      FloatVector b2 = FloatVector.fromArray(F, acc, (2 + 8) * width + c);
      FloatVector a3 = FloatVector.fromArray(F, acc, 3 * width + c);
      FloatVector b3 = FloatVector.fromArray(F, acc, (3 + 8) * width + c);
      FloatVector a4 = FloatVector.fromArray(F, acc, 4 * width + c);
      FloatVector b4 = FloatVector.fromArray(F, acc, (4 + 8) * width + c);
      FloatVector a5 = FloatVector.fromArray(F, acc, 5 * width + c);
      FloatVector b5 = FloatVector.fromArray(F, acc, (5 + 8) * width + c);
      FloatVector a6 = FloatVector.fromArray(F, acc, 6 * width + c);
      FloatVector b6 = FloatVector.fromArray(F, acc, (6 + 8) * width + c);
      FloatVector a7 = FloatVector.fromArray(F, acc, 7 * width + c);
      FloatVector b7 = FloatVector.fromArray(F, acc, (7 + 8) * width + c);
      IntVector q0 = IntVector.fromMemorySegment(I, qweight, row + 0 * stride + 4L * c, LE);
      FloatVector n00 = ((FloatVector) q0.and(15).convert(VectorOperators.I2F, 0));
      a0 = n00.fma(xa0, a0);
      b0 = n00.fma(xb0, b0);
      FloatVector n01 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0));
      a1 = n01.fma(xa0, a1);
      b1 = n01.fma(xb0, b1);
      FloatVector n02 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0));
      a2 = n02.fma(xa0, a2);
      b2 = n02.fma(xb0, b2);
      FloatVector n03 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0));
      a3 = n03.fma(xa0, a3);
      b3 = n03.fma(xb0, b3);
      FloatVector n04 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0));
      a4 = n04.fma(xa0, a4);
      b4 = n04.fma(xb0, b4);
      FloatVector n05 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0));
      a5 = n05.fma(xa0, a5);
      b5 = n05.fma(xb0, b5);
      FloatVector n06 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0));
      a6 = n06.fma(xa0, a6);
      b6 = n06.fma(xb0, b6);
      FloatVector n07 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0));
      a7 = n07.fma(xa0, a7);
      b7 = n07.fma(xb0, b7);
      IntVector q1 = IntVector.fromMemorySegment(I, qweight, row + 1 * stride + 4L * c, LE);
      FloatVector n10 = ((FloatVector) q1.and(15).convert(VectorOperators.I2F, 0));
      a0 = n10.fma(xa1, a0);
      b0 = n10.fma(xb1, b0);
      FloatVector n11 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0));
      a1 = n11.fma(xa1, a1);
      b1 = n11.fma(xb1, b1);
      FloatVector n12 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0));
      a2 = n12.fma(xa1, a2);
      b2 = n12.fma(xb1, b2);
      FloatVector n13 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0));
      a3 = n13.fma(xa1, a3);
      b3 = n13.fma(xb1, b3);
      FloatVector n14 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0));
      a4 = n14.fma(xa1, a4);
      b4 = n14.fma(xb1, b4);
      FloatVector n15 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0));
      a5 = n15.fma(xa1, a5);
      b5 = n15.fma(xb1, b5);
      FloatVector n16 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0));
      a6 = n16.fma(xa1, a6);
      b6 = n16.fma(xb1, b6);
      FloatVector n17 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0));
      a7 = n17.fma(xa1, a7);
      b7 = n17.fma(xb1, b7);
      IntVector q2 = IntVector.fromMemorySegment(I, qweight, row + 2 * stride + 4L * c, LE);
      FloatVector n20 = ((FloatVector) q2.and(15).convert(VectorOperators.I2F, 0));
      a0 = n20.fma(xa2, a0);
      b0 = n20.fma(xb2, b0);
      FloatVector n21 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0));
      a1 = n21.fma(xa2, a1);
      b1 = n21.fma(xb2, b1);
      FloatVector n22 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0));
      a2 = n22.fma(xa2, a2);
      b2 = n22.fma(xb2, b2);
      FloatVector n23 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0));
      a3 = n23.fma(xa2, a3);
      b3 = n23.fma(xb2, b3);
      FloatVector n24 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0));
      a4 = n24.fma(xa2, a4);
      b4 = n24.fma(xb2, b4);
      FloatVector n25 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0));
      a5 = n25.fma(xa2, a5);
      b5 = n25.fma(xb2, b5);
      FloatVector n26 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0));
      a6 = n26.fma(xa2, a6);
      b6 = n26.fma(xb2, b6);
      FloatVector n27 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0));
      a7 = n27.fma(xa2, a7);
      b7 = n27.fma(xb2, b7);
      IntVector q3 = IntVector.fromMemorySegment(I, qweight, row + 3 * stride + 4L * c, LE);
      FloatVector n30 = ((FloatVector) q3.and(15).convert(VectorOperators.I2F, 0));
      a0 = n30.fma(xa3, a0);
      b0 = n30.fma(xb3, b0);
      FloatVector n31 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0));
      a1 = n31.fma(xa3, a1);
      b1 = n31.fma(xb3, b1);
      FloatVector n32 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0));
      a2 = n32.fma(xa3, a2);
      b2 = n32.fma(xb3, b2);
      FloatVector n33 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0));
      a3 = n33.fma(xa3, a3);
      b3 = n33.fma(xb3, b3);
      FloatVector n34 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0));
      a4 = n34.fma(xa3, a4);
      b4 = n34.fma(xb3, b4);
      FloatVector n35 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0));
      a5 = n35.fma(xa3, a5);
      b5 = n35.fma(xb3, b5);
      FloatVector n36 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0));
      a6 = n36.fma(xa3, a6);
      b6 = n36.fma(xb3, b6);
      FloatVector n37 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0));
      a7 = n37.fma(xa3, a7);
      b7 = n37.fma(xb3, b7);
      a0.intoArray(acc, 0 * width + c);
      b0.intoArray(acc, (0 + 8) * width + c);
      a1.intoArray(acc, 1 * width + c);
      b1.intoArray(acc, (1 + 8) * width + c);
      a2.intoArray(acc, 2 * width + c);
      b2.intoArray(acc, (2 + 8) * width + c);
      a3.intoArray(acc, 3 * width + c);
      b3.intoArray(acc, (3 + 8) * width + c);
      a4.intoArray(acc, 4 * width + c);
      b4.intoArray(acc, (4 + 8) * width + c);
      a5.intoArray(acc, 5 * width + c);
      b5.intoArray(acc, (5 + 8) * width + c);
      a6.intoArray(acc, 6 * width + c);
      b6.intoArray(acc, (6 + 8) * width + c);
      a7.intoArray(acc, 7 * width + c);
      b7.intoArray(acc, (7 + 8) * width + c);
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
