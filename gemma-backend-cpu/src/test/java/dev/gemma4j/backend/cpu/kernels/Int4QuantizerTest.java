package dev.gemma4j.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quantization at load against AutoAWQ's formulas computed here in double precision: every weight's
 * 4-bit value, zero point and scale, and the dequantized weight within half a step of the original.
 */
class Int4QuantizerTest {

  @ParameterizedTest
  @ValueSource(ints = {32, 64, 128})
  void quantizesAsAutoAwqDoes(int group) {
    int in = 2 * group;
    int out = 24;
    Random random = new Random(group);
    try (Arena arena = Arena.ofShared()) {
      MemorySegment weight = arena.allocate(4L * in * out);
      float[][] w = new float[out][in];
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          w[o][i] = o == 3 ? 0.25f : (float) (random.nextGaussian() * 0.02 + (o == 5 ? 0.1 : 0));
          weight.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) o * in + i, w[o][i]);
        }
      }
      AwqMatrix q = Int4Quantizer.quantize(weight, "w", DType.F32, out, in, group, arena);
      for (int o = 0; o < out; o++) {
        for (int g = 0; g < in / group; g++) {
          float min = Float.POSITIVE_INFINITY;
          float max = Float.NEGATIVE_INFINITY;
          for (int i = g * group; i < (g + 1) * group; i++) {
            min = Math.min(min, w[o][i]);
            max = Math.max(max, w[o][i]);
          }
          float scale = Math.max(max - min, 1e-5f) / 15f;
          int zero = Math.clamp(-Math.round(min / scale), 0, 15);
          for (int i = g * group; i < (g + 1) * group; i++) {
            int expected = Math.clamp(Math.round(w[o][i] / scale) + zero, 0, 15);
            assertEquals((expected - zero) * scale, q.get(i, o), 1e-7, "output " + o + " input " + i);
            if (min <= 0 && max >= 0) {
              assertTrue(Math.abs(q.get(i, o) - w[o][i]) <= scale / 2 + 1e-6, "within half a step");
            }
          }
        }
      }
    }
  }
}
