package dev.gemma4j.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both 4-bit kernels against {@code Σ x_i (q - z) s} in double precision, computed from the unpacked
 * values the test packed itself in AutoAWQ's order: group sizes 32, 64 and 128, widths with and without
 * whole strips and a remainder, one to five rows, each product in two calls split inside a strip.
 */
class AwqMatVecTest {
  static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

  static Stream<Arguments> cases() {
    List<AwqMatVec> kernels = new ArrayList<>(List.of(new ScalarAwqMatVec()));
    if (VectorSupport.enabled()) {
      kernels.add(new VectorAwqMatVec());
    }
    List<Arguments> all = new ArrayList<>();
    for (AwqMatVec kernel : kernels) {
      for (int group : new int[] {32, 64, 128}) {
        for (int out : new int[] {8, 136, 256, 520}) {
          for (int rows : new int[] {1, 2, 3, 5}) {
            all.add(Arguments.of(kernel, group, 2 * group, out, rows));
          }
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} group {1}, {2} x {3}, {4} rows")
  @MethodSource("cases")
  void matchesTheDequantizedProduct(AwqMatVec kernel, int group, int in, int out, int rows) {
    Random random = new Random(in * 31L + out * 7L + group);
    int groups = in / group;
    int packed = out / 8;
    int[][] q = new int[in][out];
    int[][] z = new int[groups][out];
    float[][] s = new float[groups][out];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        q[i][o] = random.nextInt(16);
      }
    }
    for (int g = 0; g < groups; g++) {
      for (int o = 0; o < out; o++) {
        z[g][o] = random.nextInt(16);
        s[g][o] = Float.float16ToFloat(Float.floatToFloat16((float) (random.nextDouble() * 0.02)));
      }
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment qweight = arena.allocate(4L * in * packed);
      MemorySegment qzeros = arena.allocate(4L * groups * packed);
      MemorySegment scales = arena.allocate(2L * groups * out);
      for (int i = 0; i < in; i++) {
        for (int j = 0; j < packed; j++) {
          qweight.setAtIndex(AwqMatrix.INT, (long) i * packed + j, pack(q[i], j));
        }
      }
      for (int g = 0; g < groups; g++) {
        for (int j = 0; j < packed; j++) {
          qzeros.setAtIndex(AwqMatrix.INT, (long) g * packed + j, pack(z[g], j));
        }
        for (int o = 0; o < out; o++) {
          scales.set(SHORT, 2L * ((long) g * out + o), Float.floatToFloat16(s[g][o]));
        }
      }
      AwqMatrix w = AwqMatrix.of(qweight, qzeros, scales, DType.F16, in, out, group, arena);
      float[] x = new float[rows * in];
      for (int k = 0; k < x.length; k++) {
        x[k] = (float) random.nextGaussian();
      }
      float[] y = new float[rows * out];
      // In two calls split inside a strip, as the kernel threads split a matrix.
      int split = Math.min(packed, AwqMatrix.STRIP + 5);
      kernel.multiply(x, rows, w, 0, split, y, out);
      kernel.multiply(x, rows, w, split, packed, y, out);
      for (int m = 0; m < rows; m++) {
        for (int o = 0; o < out; o++) {
          double expected = 0;
          double magnitude = 0;
          for (int i = 0; i < in; i++) {
            double weight = (q[i][o] - z[i / group][o]) * (double) s[i / group][o];
            expected += x[m * in + i] * weight;
            magnitude += Math.abs(x[m * in + i] * weight);
          }
          assertEquals(expected, y[m * out + o], 1e-5 * magnitude + 1e-6, "row " + m + " column " + o);
          assertEquals((q[5][o] - z[0][o]) * s[0][o], w.get(5, o), 1e-7);
        }
      }
    }
  }

  /** Eight 4-bit values of output columns {@code 8j ..} in AutoAWQ's order: nibble k holds column ORDER[k]. */
  static int pack(int[] values, int j) {
    int word = 0;
    for (int k = 0; k < 8; k++) {
      word |= values[8 * j + ORDER[k]] << (4 * k);
    }
    return word;
  }
}
