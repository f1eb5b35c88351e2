package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.internal.quant.WeightQuantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.IntStream;

/**
 * Quantizes a float weight {@code [out, in]} to AWQ's 4-bit layout while loading, per output and group of
 * input features with {@link WeightQuantizer}'s numbers (AutoAWQ's). Scales are kept in float32. The result
 * is an {@link AwqMatrix} the AWQ kernels read.
 */
public final class Int4Quantizer {
  private Int4Quantizer() {}

  /**
   * @param weight the float weight, row {@code o} (an output) holding its {@code in} input features
   * @param name the checkpoint's name of the weight, for the message when it holds a NaN or an infinity
   * @param arena where the packed weights live
   * @throws dev.gemma4j.config.ModelFormatException when a value is not finite
   */
  public static AwqMatrix quantize(
      MemorySegment weight, String name, DType dtype, int out, int in, int groupSize, Arena arena) {
    if (in % groupSize != 0 || out % 8 != 0) {
      throw new IllegalArgumentException(out + " x " + in + " does not divide into groups of " + groupSize);
    }
    int packed = out / 8;
    int groups = in / groupSize;
    MemorySegment qweight = arena.allocate(4L * in * packed, 64);
    // Scales and zero points go straight into the kernels' nibble-major arrays, the words into strip order.
    float[] scales = new float[groups * out];
    float[] zeros = new float[groups * out];
    IntStream.range(0, packed).parallel().forEach(j -> packColumn(weight, name, dtype, in, groupSize, j, packed, qweight, scales, zeros));
    return AwqMatrix.ofStripMajor(qweight, in, out, groupSize, scales, zeros);
  }

  /** Outputs {@code 8j .. 8j + 7}: one int32 column of the packed weights. */
  private static void packColumn(
      MemorySegment weight, String name, DType dtype, int in, int groupSize, int j, int packed,
      MemorySegment qweight, float[] scales, float[] zeros) {
    float[][] rows = new float[8][in];
    for (int k = 0; k < 8; k++) {
      int o = 8 * j + AwqMatrix.ORDER[k];
      Widening.toFloat32(weight, (long) o * in * dtype.bytes(), dtype, rows[k], 0, in);
      WeightQuantizer.requireFinite(rows[k], 0, in, name, o);
    }
    int[] words = new int[groupSize];
    for (int g = 0; g < in / groupSize; g++) {
      java.util.Arrays.fill(words, 0);
      for (int k = 0; k < 8; k++) {
        WeightQuantizer.Int4Group group = WeightQuantizer.int4Group(rows[k], g * groupSize, groupSize);
        for (int i = 0; i < groupSize; i++) {
          words[i] |= group.level(rows[k][g * groupSize + i]) << (4 * k);
        }
        int index = (g * 8 + k) * packed + j;
        scales[index] = group.scale();
        zeros[index] = group.zero();
      }
      for (int i = 0; i < groupSize; i++) {
        qweight.set(AwqMatrix.INT, AwqMatrix.offset(in, packed, g * groupSize + i, j), words[i]);
      }
    }
  }
}
