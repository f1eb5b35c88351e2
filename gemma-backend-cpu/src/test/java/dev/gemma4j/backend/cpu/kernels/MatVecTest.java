package dev.gemma4j.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.internal.vector.VectorSupport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both matrix-vector kernels against a double-precision product of the same widened weights, for every
 * dtype, for row counts that exercise each register tile and its remainders, and for widths that are not
 * a multiple of the vector length.
 */
class MatVecTest {
  static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  static List<MatVec> kernels() {
    List<MatVec> all = new ArrayList<>(List.of(new ScalarMatVec()));
    if (VectorSupport.enabled()) {
      all.add(new VectorMatVec());
    }
    return all;
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (MatVec kernel : kernels()) {
      for (DType dtype : DType.values()) {
        if (!dtype.isFloat()) {
          continue;
        }
        for (int columns : new int[] {8, 24, 37, 64, 2304, 4109}) {
          all.add(Arguments.of(kernel.getClass().getSimpleName(), dtype, columns));
        }
      }
    }
    return all.stream();
  }

  static WeightMatrix matrix(Arena arena, DType dtype, int rows, int columns, long seed) {
    Random random = new Random(seed);
    MemorySegment data = arena.allocate((long) rows * columns * dtype.bytes(), 64);
    for (long i = 0; i < (long) rows * columns; i++) {
      float v = (float) random.nextGaussian();
      if (i % 97 == 0) {
        v = 3e-6f; // a float16 subnormal
      }
      switch (dtype) {
        case F32 -> data.set(FLOAT, 4 * i, v);
        case BF16 -> data.set(SHORT, 2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
        case F16 -> data.set(SHORT, 2 * i, Float.floatToFloat16(v));
      }
    }
    return new WeightMatrix(data, dtype, rows, columns);
  }

  @ParameterizedTest(name = "{0} {1} columns {2}")
  @MethodSource("cases")
  void matchesADoublePrecisionProductOfTheWidenedWeights(String kernelName, DType dtype, int columns) {
    MatVec kernel = kernels().stream().filter(k -> k.getClass().getSimpleName().equals(kernelName)).findFirst().orElseThrow();
    int outputs = 23; // not a multiple of the 4-row tile
    try (Arena arena = Arena.ofConfined()) {
      WeightMatrix w = matrix(arena, dtype, outputs, columns, columns * 7L + dtype.ordinal());
      float[][] widened = new float[outputs][columns];
      for (int o = 0; o < outputs; o++) {
        w.widenRow(o, widened[o], 0);
      }
      for (int rows : new int[] {1, 2, 3, 4, 5, 8, 9, 12}) {
        Random random = new Random(rows);
        float[] x = new float[rows * columns];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextGaussian();
        }
        float[] y = new float[rows * (outputs + 3)];
        kernel.multiply(x, rows, w, 2, outputs, y, outputs + 3); // a sub-range, a wider stride
        for (int m = 0; m < rows; m++) {
          assertEquals(0f, y[m * (outputs + 3) + 1], "features outside the range are not written");
          for (int o = 2; o < outputs; o++) {
            double expected = 0;
            double magnitude = 0;
            for (int i = 0; i < columns; i++) {
              expected += (double) x[m * columns + i] * widened[o][i];
              magnitude += Math.abs((double) x[m * columns + i] * widened[o][i]);
            }
            assertEquals(expected, y[m * (outputs + 3) + o], 1e-6 * magnitude + 1e-6,
                kernelName + " " + dtype + " rows " + rows + " feature " + o);
          }
        }
      }
    }
  }

  @Test
  void float16WidensExactlyIncludingSubnormalsInfinitiesAndNaN() {
    try (Arena arena = Arena.ofConfined()) {
      short[] halves = {0x0000, (short) 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, (short) 0xC000, 0x7BFF, 0x7C00, (short) 0xFC00, 0x7E00};
      MemorySegment data = arena.allocate(2L * halves.length * 16);
      for (int r = 0; r < 16; r++) {
        for (int i = 0; i < halves.length; i++) {
          data.set(SHORT, 2L * (r * halves.length + i), halves[i]);
        }
      }
      WeightMatrix w = new WeightMatrix(data, DType.F16, 16, halves.length);
      float[] row = new float[halves.length];
      w.widenRow(5, row, 0);
      for (int i = 0; i < halves.length; i++) {
        float expected = Float.float16ToFloat(halves[i]);
        assertTrue(Float.compare(expected, row[i]) == 0 || (Float.isNaN(expected) && Float.isNaN(row[i])), "half " + i);
      }
    }
  }

  @Test
  void thePoolCoversTheRangeOnceAndRethrowsAFailure() {
    try (KernelPool pool = new KernelPool(3)) {
      int[] hits = new int[1000];
      pool.parallelFor(1000, 16, (from, to) -> {
        assertEquals(0, from % 16, "parts start on the grain");
        for (int i = from; i < to; i++) {
          hits[i]++;
        }
      });
      for (int h : hits) {
        assertEquals(1, h);
      }
      IllegalStateException failure = new IllegalStateException("a kernel failed");
      assertSame(failure, assertThrows(IllegalStateException.class, () -> pool.parallelFor(1000, 16, (from, to) -> {
        if (from > 0) {
          throw failure;
        }
      })));
    }
  }

  /** float16 infinities and NaNs stay what they are (the vector widening takes a branch for them). */
  @Test
  void float16InfinitiesAndNansAreKept() {
    for (MatVec kernel : kernels()) {
      for (int rows : new int[] {1, 3}) {
        try (Arena arena = Arena.ofConfined()) {
          int columns = 64;
          MemorySegment data = arena.allocate(3L * columns * 2);
          for (int i = 0; i < 3 * columns; i++) {
            data.set(SHORT, 2L * i, Float.floatToFloat16(0.5f));
          }
          data.set(SHORT, 2L * 5, Float.floatToFloat16(Float.POSITIVE_INFINITY));
          data.set(SHORT, 2L * (columns + 7), Float.floatToFloat16(Float.NaN));
          WeightMatrix w = new WeightMatrix(data, DType.F16, 3, columns);
          float[] x = new float[rows * columns];
          java.util.Arrays.fill(x, 1f);
          float[] y = new float[rows * 3];
          kernel.multiply(x, rows, w, 0, 3, y, 3);
          for (int m = 0; m < rows; m++) {
            assertEquals(Float.POSITIVE_INFINITY, y[m * 3], kernel + " rows " + rows);
            assertTrue(Float.isNaN(y[m * 3 + 1]), kernel + " rows " + rows);
            assertEquals(32f, y[m * 3 + 2], 1e-4, kernel + " rows " + rows);
          }
        }
      }
    }
  }
}
