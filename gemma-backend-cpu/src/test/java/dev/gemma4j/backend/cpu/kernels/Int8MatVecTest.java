package dev.gemma4j.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.internal.vector.VectorSupport;
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
 * 8-bit quantization at load against its formula ({@code scale = max |w| / 127},
 * {@code q = round(w / scale)}), and both kernels against the dequantized product in double precision.
 */
class Int8MatVecTest {

  static Stream<Arguments> cases() {
    List<Int8MatVec> kernels = new ArrayList<>(List.of(new ScalarInt8MatVec()));
    if (VectorSupport.enabled()) {
      kernels.add(new VectorInt8MatVec());
    }
    List<Arguments> all = new ArrayList<>();
    for (Int8MatVec kernel : kernels) {
      for (int in : new int[] {16, 37, 64, 2304}) {
        for (int rows : new int[] {1, 2, 3}) {
          all.add(Arguments.of(kernel, in, rows));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1} columns, {2} rows")
  @MethodSource("cases")
  void quantizesByTheFormulaAndMultipliesAsTheDequantizedWeights(Int8MatVec kernel, int in, int rows) {
    int out = 20;
    Random random = new Random(in * 7L + rows);
    try (Arena arena = Arena.ofShared()) {
      MemorySegment weight = arena.allocate(2L * out * in);
      float[][] w = new float[out][in];
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          float v = o == 4 ? 0f : (float) random.nextGaussian() * 0.02f;
          short bits = (short) (Float.floatToRawIntBits(v) >>> 16);
          w[o][i] = Float.intBitsToFloat((bits & 0xFFFF) << 16);
          weight.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * ((long) o * in + i), bits);
        }
      }
      Int8Matrix q = Int8Matrix.quantize(weight, "w", DType.BF16, out, in, arena);
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
      float[] x = new float[rows * in];
      for (int k = 0; k < x.length; k++) {
        x[k] = (float) random.nextGaussian();
      }
      float[] y = new float[rows * out];
      kernel.multiply(x, rows, q, 0, out, y, out);
      for (int m = 0; m < rows; m++) {
        for (int o = 0; o < out; o++) {
          double expected = 0;
          double magnitude = 0;
          for (int i = 0; i < in; i++) {
            expected += (double) x[m * in + i] * q.get(o, i);
            magnitude += Math.abs(x[m * in + i] * q.get(o, i));
          }
          assertEquals(expected, y[m * out + o], 1e-5 * magnitude + 1e-7, "row " + m + " output " + o);
        }
      }
    }
  }
}
