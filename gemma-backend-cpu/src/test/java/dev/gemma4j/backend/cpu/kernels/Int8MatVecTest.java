package dev.gemma4j.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 8-bit quantization at load against its formula ({@code scale = max |w| / 127}, {@code q = round(w / scale)}),
 * the activations' against theirs ({@code d = max |x| / 127} per block of 32, {@code q = rint(x / d)}), the
 * product against the dequantized weights times the dequantized activations in double precision, and every
 * native path against the Java kernel bit for bit.
 */
class Int8MatVecTest {

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Int8MatVec kernel : kernels()) {
      for (int in : new int[] {16, 37, 64, 288, 2304}) {
        for (int rows : new int[] {1, 2, 3}) {
          all.add(Arguments.of(kernel, in, rows));
        }
      }
    }
    return all.stream();
  }

  /** The Java kernel, and on linux-x86_64 the native one at every level this machine has. */
  static List<Int8MatVec> kernels() {
    List<Int8MatVec> kernels = new ArrayList<>(List.of(new ScalarInt8MatVec()));
    NativeKernels.loaded().ifPresent(n -> {
      for (int level = 0; level <= n.level(); level++) {
        kernels.add(new NativeInt8MatVec(n, level));
      }
    });
    return kernels;
  }

  @ParameterizedTest(name = "{0} {1} columns, {2} rows")
  @MethodSource("cases")
  void quantizesByTheFormulaAndMultipliesAsTheDequantizedValues(Int8MatVec kernel, int in, int rows) {
    int out = 37;
    Random random = new Random(in * 7L + rows);
    try (Arena arena = Arena.ofShared()) {
      float[][] w = new float[out][in];
      Int8Matrix q = randomMatrix(random, w, out, in, arena);
      for (int o = 0; o < out; o++) {
        float max = 0;
        for (float v : w[o]) {
          max = Math.max(max, Math.abs(v));
        }
        float scale = max > 0 ? max / 127f : 1f;
        for (int i = 0; i < in; i++) {
          assertEquals(Math.clamp(Math.round(w[o][i] / scale), -127, 127) * scale, q.get(o, i), 1e-9);
          assertTrue(Math.abs(q.get(o, i) - w[o][i]) <= scale / 2 + 1e-7);
        }
      }
      float[] x = randomActivations(random, rows * in);
      Int8Activations a = Int8Activations.quantize(x, rows, in);
      int blocks = (in + 31) / 32;
      for (int m = 0; m < rows; m++) {
        for (int b = 0; b < blocks; b++) {
          float max = 0;
          for (int i = b * 32; i < Math.min(in, b * 32 + 32); i++) {
            max = Math.max(max, Math.abs(x[m * in + i]));
          }
          float d = max / 127f;
          assertEquals(d, a.scales()[m * blocks + b]);
          for (int i = b * 32; i < Math.min(in, b * 32 + 32); i++) {
            assertEquals(d == 0 ? 0 : (int) Math.rint(x[m * in + i] / d), a.q()[m * in + i], 1, "activation " + i);
          }
        }
      }
      float[] y = new float[rows * out];
      kernel.multiply(a, q, 0, out, y, out);
      for (int m = 0; m < rows; m++) {
        for (int o = 0; o < out; o++) {
          double expected = 0;
          double magnitude = 0;
          for (int i = 0; i < in; i++) {
            double xi = (double) a.scales()[m * blocks + i / 32] * a.q()[m * in + i];
            expected += xi * q.get(o, i);
            magnitude += Math.abs(xi * q.get(o, i));
          }
          assertEquals(expected, y[m * out + o], 1e-5 * magnitude + 1e-7, "row " + m + " output " + o);
        }
      }
    }
  }

  /** Each native level gives the Java kernel's bits, over output ranges that start and end inside a tile. */
  @ParameterizedTest(name = "{0} columns")
  @org.junit.jupiter.params.provider.ValueSource(ints = {32, 96, 256, 288, 2304})
  void everyNativePathGivesTheJavaBits(int in) {
    int out = 53;
    int rows = 3;
    Random random = new Random(in);
    try (Arena arena = Arena.ofShared()) {
      Int8Matrix q = randomMatrix(random, new float[out][in], out, in, arena);
      Int8Activations a = Int8Activations.quantize(randomActivations(random, rows * in), rows, in);
      float[] reference = new float[rows * out];
      new ScalarInt8MatVec().multiply(a, q, 3, 50, reference, out);
      for (Int8MatVec kernel : kernels()) {
        float[] y = new float[rows * out];
        kernel.multiply(a, q, 3, 50, y, out);
        assertArrayEquals(reference, y, kernel.toString());
      }
    }
  }

  private static Int8Matrix randomMatrix(Random random, float[][] w, int out, int in, Arena arena) {
    MemorySegment weight = arena.allocate(2L * out * in);
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        float v = o == 4 ? 0f : (float) random.nextGaussian() * 0.02f;
        short bits = (short) (Float.floatToRawIntBits(v) >>> 16);
        w[o][i] = Float.intBitsToFloat((bits & 0xFFFF) << 16);
        weight.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * ((long) o * in + i), bits);
      }
    }
    return Int8Matrix.quantize(weight, "w", DType.BF16, out, in, arena);
  }

  private static float[] randomActivations(Random random, int n) {
    float[] x = new float[n];
    for (int k = 0; k < n; k++) {
      x[k] = k % 97 == 5 ? 0f : (float) (random.nextGaussian() * (1 + k % 5));
    }
    for (int k = 64; k < Math.min(n, 96); k++) {
      x[k] = 0f; // a block of zeros: scale 0
    }
    return x;
  }
}
