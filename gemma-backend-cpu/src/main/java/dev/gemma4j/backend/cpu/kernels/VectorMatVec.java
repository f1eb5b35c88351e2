package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatVec} with the Java Vector API. bf16 and f32 weights are read straight from their segment, bf16
 * widened to float32 in registers ({@code bits << 16}); f16 weights are widened a few rows at a time into a
 * cached buffer first. One row of {@code x} (single-sequence decode) is bound by memory: a weight row at a time, four
 * accumulators. Several rows of {@code x} are bound by arithmetic: a register tile of 4 weight rows by 4
 * (or 2) rows of {@code x} keeps 16 accumulators, so every weight loaded and every {@code x} vector loaded
 * serves four fused multiply-adds. Sums are float32, as PyTorch's are. Loaded only through
 * {@link dev.gemma4j.internal.vector.VectorSupport}.
 *
 * <p>The kernels are static methods with plain parameters and a small two-way load helper: C2 then inlines
 * the Vector API calls and keeps every vector in a register. A vector that crosses an uninlined call, or a
 * merge with a branch C2 cannot compile to vector instructions (an inline f16 conversion was one), is
 * boxed, which costs up to tenfold.
 */
public final class VectorMatVec implements MatVec {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
  private static final int LANES = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int BF16 = 0;
  private static final int F32 = 1;
  /** Past this many columns a row's float32 input (16 KiB here) crowds the 32 KiB first-level cache. */
  private static final int WIDE_COLUMNS = 4096;
  private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(() -> MemorySegment.NULL);

  /** Creates the vector kernel; requires {@code jdk.incubator.vector}. */
  public VectorMatVec() {}

  @Override
  public void multiply(float[] x, int xOffset, int rows, WeightMatrix w, int from, int to, float[] y, int yOffset, int yStride) {
    if (w.dtype() == DType.F16) {
      multiplyHalf(x, xOffset, rows, w, from, to, y, yOffset, yStride);
      return;
    }
    int kind = w.dtype() == DType.BF16 ? BF16 : F32;
    if (rows == 1 && w.columns() > WIDE_COLUMNS) {
      wideDecode(w.data(), kind, w.dtype().bytes(), w.rowBytes(), w.columns(), x, xOffset, from, to, y, yOffset);
    } else {
      run(w.data(), kind, w.dtype().bytes(), 0, w.rowBytes(), w.columns(), x, xOffset, rows, from, to, y, yOffset, yStride);
    }
    tails(w, x, xOffset, rows, from, to, y, yOffset, yStride);
  }

  @Override
  public void accumulate(float[] p, int pOffset, int pStride, int rows, WeightMatrix w, float[] out, int outOffset) {
    int columns = w.columns();
    int vectorEnd = columns - columns % LANES;
    int kind = w.dtype() == DType.BF16 ? BF16 : F32;
    if (w.dtype() == DType.F16) {
      new ScalarMatVec().accumulate(p, pOffset, pStride, rows, w, out, outOffset);
      return;
    }
    MemorySegment data = w.data();
    int bytes = w.dtype().bytes();
    for (int j = 0; j < w.rows(); j++) {
      long row = j * w.rowBytes();
      for (int m = 0; m < rows; m++) {
        float weight = p[pOffset + m * pStride + j];
        if (weight == 0f) {
          continue;
        }
        FloatVector scale = FloatVector.broadcast(F, weight);
        int base = outOffset + m * columns;
        for (int i = 0; i < vectorEnd; i += LANES) {
          load(data, kind, row + (long) i * bytes).fma(scale, FloatVector.fromArray(F, out, base + i)).intoArray(out, base + i);
        }
        for (int i = vectorEnd; i < columns; i++) {
          out[base + i] += weight * w.get(j, i);
        }
      }
    }
  }

  /**
   * Output features {@code [from, to)} of weights whose row {@code o} starts at {@code base + o * rowBytes}
   * (the columns past the last whole vector are left to {@link #tails}).
   */
  private static void run(
      MemorySegment data, int kind, int bytes, long base, long rowBytes, int columns, float[] x, int xOffset, int rows,
      int from, int to, float[] y, int yOffset, int yStride) {
    int vectorEnd = columns - columns % LANES;
    int o = from;
    // A batch of decoding rows takes the same tiles as a prompt: a tile's weights come from memory for its
    // first four rows and from the first-level cache after. A tile of 2 weight rows by 8 rows of x measured
    // slower (8 rows over the 2B layers: 340 against 295 ms): more multiply-adds wait on each line in flight.
    if (rows > 1) {
      for (; o + 4 <= to; o += 4) {
        long row = base + o * rowBytes;
        int m = 0;
        for (; m + 4 <= rows; m += 4) {
          rows4x4(data, kind, bytes, row, rowBytes, x, xOffset + m * columns, columns, vectorEnd, y, yOffset + m * yStride + o, yStride);
        }
        for (; m + 2 <= rows; m += 2) {
          rows4x2(data, kind, bytes, row, rowBytes, x, xOffset + m * columns, columns, vectorEnd, y, yOffset + m * yStride + o, yStride);
        }
        for (; m < rows; m++) {
          rows4x1(data, kind, bytes, row, rowBytes, x, xOffset + m * columns, vectorEnd, y, yOffset + m * yStride + o);
        }
      }
    }
    for (; o < to; o++) {
      for (int m = 0; m < rows; m++) {
        y[yOffset + m * yStride + o] = row1x1(data, kind, bytes, base + o * rowBytes, x, xOffset + m * columns, vectorEnd);
      }
    }
  }

  /**
   * One sequence over long rows (the MLP's down projection, 9216 columns): its input no longer stays in the
   * first-level cache, so four weight rows share each load of it. A separate method, so that the JIT
   * compiles the common decode loop in {@link #run} as before (2B down projection: 40-43 ms per step
   * against 57-68 ms with one row at a time).
   */
  private static void wideDecode(
      MemorySegment data, int kind, int bytes, long rowBytes, int columns, float[] x, int xOffset, int from, int to,
      float[] y, int yOffset) {
    int vectorEnd = columns - columns % LANES;
    int o = from;
    for (; o + 4 <= to; o += 4) {
      rows4x1(data, kind, bytes, o * rowBytes, rowBytes, x, xOffset, vectorEnd, y, yOffset + o);
    }
    for (; o < to; o++) {
      y[yOffset + o] = row1x1(data, kind, bytes, o * rowBytes, x, xOffset, vectorEnd);
    }
  }

  /**
   * float16 weights: four rows at a time are widened into a float32 buffer that stays in cache, and the
   * float32 kernels run over it (float16 checkpoints are rare; bf16 and f32 are read in place).
   */
  private static void multiplyHalf(
      float[] x, int xOffset, int rows, WeightMatrix w, int from, int to, float[] y, int yOffset, int yStride) {
    int columns = w.columns();
    if (rows == 1) {
      int vectorEnd = columns - columns % LANES;
      for (int o = from; o < to; o++) {
        y[yOffset + o] = dotHalf(w.data(), o * w.rowBytes(), x, xOffset, vectorEnd);
      }
      tails(w, x, xOffset, rows, from, to, y, yOffset, yStride);
      return;
    }
    long rowBytes = (long) columns * Float.BYTES;
    MemorySegment buffer = SCRATCH.get();
    if (buffer.byteSize() < 4 * rowBytes) {
      buffer = Arena.ofAuto().allocate(4 * rowBytes, 64);
      SCRATCH.set(buffer);
    }
    for (int o = from; o < to; o += 4) {
      int count = Math.min(4, to - o);
      for (int r = 0; r < count; r++) {
        widenHalfRow(w.data(), (o + r) * w.rowBytes(), columns, buffer, r * rowBytes);
      }
      run(buffer, F32, Float.BYTES, -o * rowBytes, rowBytes, columns, x, xOffset, rows, o, o + count, y, yOffset, yStride);
    }
    tails(w, x, xOffset, rows, from, to, y, yOffset, yStride);
  }

  /**
   * The dot product of an f16 row with {@code x} over {@code [0, vectorEnd)}, widening in registers (see
   * {@link #half}); decode's output head of float16 checkpoints (AWQ's, whose embedding stays float16).
   */
  private static float dotHalf(MemorySegment data, long row, float[] x, int xm, int vectorEnd) {
    FloatVector a = FloatVector.zero(F);
    FloatVector b = a;
    int i = 0;
    for (; i + 2 * LANES <= vectorEnd; i += 2 * LANES) {
      a = FloatVector.fromArray(F, x, xm + i).fma(half(data, row + 2L * i), a);
      b = FloatVector.fromArray(F, x, xm + i + LANES).fma(half(data, row + 2L * (i + LANES)), b);
    }
    for (; i < vectorEnd; i += LANES) {
      a = FloatVector.fromArray(F, x, xm + i).fma(half(data, row + 2L * i), a);
    }
    return a.add(b).reduceLanes(VectorOperators.ADD);
  }

  /**
   * {@code LANES} f16 values from byte {@code offset} as float32, exactly: the exponent and mantissa shifted
   * into float32 position read as 2^(e-127)·1.m (a float32 subnormal for a float16 subnormal), times 2^112,
   * is the value; the sign comes from the sign-extended lanes; infinities and NaNs (rare) take a branch.
   */
  private static FloatVector half(MemorySegment data, long offset) {
    IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
    IntVector magnitude = bits.and(0x7FFF);
    IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
    IntVector value = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
    var special = magnitude.compare(VectorOperators.GE, 0x7C00);
    if (special.anyTrue()) {
      value = value.blend(shifted.or(0x7F800000), special);
    }
    return value.or(bits.and(0x80000000)).reinterpretAsFloats();
  }

  /**
   * One f16 row to float32, vectorized and exact, without branches: the exponent and mantissa shifted into
   * float32 position read as 2^(e-127)·1.m (or a float32 subnormal for a float16 subnormal), times 2^112,
   * is the float16 value; infinities and NaNs keep an all-ones exponent. A method of its own, so that the
   * hot loads of the other dtypes stay small enough to inline.
   */
  private static void widenHalfRow(MemorySegment data, long offset, int columns, MemorySegment out, long outOffset) {
    int vectorEnd = columns - columns % LANES;
    int i = 0;
    for (; i < vectorEnd; i += LANES) {
      half(data, offset + 2L * i).intoMemorySegment(out, outOffset + 4L * i, LE);
    }
    for (; i < columns; i++) {
      out.set(FLOAT_LE, outOffset + 4L * i, Float.float16ToFloat(data.get(SHORT_LE, offset + 2L * i)));
    }
  }

  private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

  private static FloatVector load(MemorySegment data, int kind, long offset) {
    if (kind == BF16) {
      IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
      return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
    return FloatVector.fromMemorySegment(F, data, offset, LE);
  }

  private static float row1x1(MemorySegment data, int kind, int bytes, long row, float[] x, int xm, int vectorEnd) {
    // Four independent accumulators keep enough loads in flight to stream at the memory's bandwidth.
    FloatVector a = FloatVector.zero(F);
    FloatVector b = a;
    FloatVector c = a;
    FloatVector d = a;
    int i = 0;
    for (; i + 4 * LANES <= vectorEnd; i += 4 * LANES) {
      long at = row + (long) i * bytes;
      long step = (long) LANES * bytes;
      a = FloatVector.fromArray(F, x, xm + i).fma(load(data, kind, at), a);
      b = FloatVector.fromArray(F, x, xm + i + LANES).fma(load(data, kind, at + step), b);
      c = FloatVector.fromArray(F, x, xm + i + 2 * LANES).fma(load(data, kind, at + 2 * step), c);
      d = FloatVector.fromArray(F, x, xm + i + 3 * LANES).fma(load(data, kind, at + 3 * step), d);
    }
    for (; i < vectorEnd; i += LANES) {
      a = FloatVector.fromArray(F, x, xm + i).fma(load(data, kind, row + (long) i * bytes), a);
    }
    return a.add(b).add(c.add(d)).reduceLanes(VectorOperators.ADD);
  }

  private static void rows4x1(
      MemorySegment data, int kind, int bytes, long row, long rowBytes, float[] x, int xm, int vectorEnd, float[] y, int yAt) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int i = 0; i < vectorEnd; i += LANES) {
      long at = row + (long) i * bytes;
      FloatVector v = FloatVector.fromArray(F, x, xm + i);
      a0 = v.fma(load(data, kind, at), a0);
      a1 = v.fma(load(data, kind, at + rowBytes), a1);
      a2 = v.fma(load(data, kind, at + 2 * rowBytes), a2);
      a3 = v.fma(load(data, kind, at + 3 * rowBytes), a3);
    }
    y[yAt] = a0.reduceLanes(VectorOperators.ADD);
    y[yAt + 1] = a1.reduceLanes(VectorOperators.ADD);
    y[yAt + 2] = a2.reduceLanes(VectorOperators.ADD);
    y[yAt + 3] = a3.reduceLanes(VectorOperators.ADD);
  }

  private static void rows4x2(
      MemorySegment data, int kind, int bytes, long row, long rowBytes, float[] x, int xa, int columns, int vectorEnd,
      float[] y, int yAt, int yStride) {
    int xb = xa + columns;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    for (int i = 0; i < vectorEnd; i += LANES) {
      long at = row + (long) i * bytes;
      FloatVector w0 = load(data, kind, at);
      FloatVector w1 = load(data, kind, at + rowBytes);
      FloatVector w2 = load(data, kind, at + 2 * rowBytes);
      FloatVector w3 = load(data, kind, at + 3 * rowBytes);
      FloatVector v = FloatVector.fromArray(F, x, xa + i);
      a0 = v.fma(w0, a0);
      a1 = v.fma(w1, a1);
      a2 = v.fma(w2, a2);
      a3 = v.fma(w3, a3);
      v = FloatVector.fromArray(F, x, xb + i);
      b0 = v.fma(w0, b0);
      b1 = v.fma(w1, b1);
      b2 = v.fma(w2, b2);
      b3 = v.fma(w3, b3);
    }
    y[yAt] = a0.reduceLanes(VectorOperators.ADD);
    y[yAt + 1] = a1.reduceLanes(VectorOperators.ADD);
    y[yAt + 2] = a2.reduceLanes(VectorOperators.ADD);
    y[yAt + 3] = a3.reduceLanes(VectorOperators.ADD);
    y[yAt + yStride] = b0.reduceLanes(VectorOperators.ADD);
    y[yAt + yStride + 1] = b1.reduceLanes(VectorOperators.ADD);
    y[yAt + yStride + 2] = b2.reduceLanes(VectorOperators.ADD);
    y[yAt + yStride + 3] = b3.reduceLanes(VectorOperators.ADD);
  }

  private static void rows4x4(
      MemorySegment data, int kind, int bytes, long row, long rowBytes, float[] x, int xa, int columns, int vectorEnd,
      float[] y, int yAt, int yStride) {
    int xb = xa + columns;
    int xc = xb + columns;
    int xd = xc + columns;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    FloatVector c0 = a0;
    FloatVector c1 = a0;
    FloatVector c2 = a0;
    FloatVector c3 = a0;
    FloatVector d0 = a0;
    FloatVector d1 = a0;
    FloatVector d2 = a0;
    FloatVector d3 = a0;
    for (int i = 0; i < vectorEnd; i += LANES) {
      long at = row + (long) i * bytes;
      FloatVector w0 = load(data, kind, at);
      FloatVector w1 = load(data, kind, at + rowBytes);
      FloatVector w2 = load(data, kind, at + 2 * rowBytes);
      FloatVector w3 = load(data, kind, at + 3 * rowBytes);
      FloatVector v = FloatVector.fromArray(F, x, xa + i);
      a0 = v.fma(w0, a0);
      a1 = v.fma(w1, a1);
      a2 = v.fma(w2, a2);
      a3 = v.fma(w3, a3);
      v = FloatVector.fromArray(F, x, xb + i);
      b0 = v.fma(w0, b0);
      b1 = v.fma(w1, b1);
      b2 = v.fma(w2, b2);
      b3 = v.fma(w3, b3);
      v = FloatVector.fromArray(F, x, xc + i);
      c0 = v.fma(w0, c0);
      c1 = v.fma(w1, c1);
      c2 = v.fma(w2, c2);
      c3 = v.fma(w3, c3);
      v = FloatVector.fromArray(F, x, xd + i);
      d0 = v.fma(w0, d0);
      d1 = v.fma(w1, d1);
      d2 = v.fma(w2, d2);
      d3 = v.fma(w3, d3);
    }
    int yb = yAt + yStride;
    int yc = yb + yStride;
    int yd = yc + yStride;
    y[yAt] = a0.reduceLanes(VectorOperators.ADD);
    y[yAt + 1] = a1.reduceLanes(VectorOperators.ADD);
    y[yAt + 2] = a2.reduceLanes(VectorOperators.ADD);
    y[yAt + 3] = a3.reduceLanes(VectorOperators.ADD);
    y[yb] = b0.reduceLanes(VectorOperators.ADD);
    y[yb + 1] = b1.reduceLanes(VectorOperators.ADD);
    y[yb + 2] = b2.reduceLanes(VectorOperators.ADD);
    y[yb + 3] = b3.reduceLanes(VectorOperators.ADD);
    y[yc] = c0.reduceLanes(VectorOperators.ADD);
    y[yc + 1] = c1.reduceLanes(VectorOperators.ADD);
    y[yc + 2] = c2.reduceLanes(VectorOperators.ADD);
    y[yc + 3] = c3.reduceLanes(VectorOperators.ADD);
    y[yd] = d0.reduceLanes(VectorOperators.ADD);
    y[yd + 1] = d1.reduceLanes(VectorOperators.ADD);
    y[yd + 2] = d2.reduceLanes(VectorOperators.ADD);
    y[yd + 3] = d3.reduceLanes(VectorOperators.ADD);
  }

  /** Adds the columns past the last whole vector, for weight rows {@code [from, to)} and every x row. */
  private static void tails(
      WeightMatrix w, float[] x, int xOffset, int rows, int from, int to, float[] y, int yOffset, int yStride) {
    int columns = w.columns();
    int vectorEnd = columns - columns % LANES;
    if (vectorEnd == columns) {
      return;
    }
    for (int o = from; o < to; o++) {
      for (int m = 0; m < rows; m++) {
        float sum = 0;
        for (int i = vectorEnd; i < columns; i++) {
          sum += x[xOffset + m * columns + i] * w.get(o, i);
        }
        y[yOffset + m * yStride + o] += sum;
      }
    }
  }
}
