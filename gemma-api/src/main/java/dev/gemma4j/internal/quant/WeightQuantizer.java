package dev.gemma4j.internal.quant;

import dev.gemma4j.config.ModelFormatException;

/**
 * The numbers of quantization at load, shared by the backends so that every backend quantizes a checkpoint
 * to the same values: AutoAWQ's asymmetric 4-bit groups ({@code s = max(max - min, 1e-5) / 15},
 * {@code z = clamp(-round(min / s), 0, 15)}, {@code q = clamp(round(w / s) + z, 0, 15)}, so {@code (q - z) * s}
 * is within {@code s / 2} of {@code w} wherever the group's range allows), and symmetric 8 bits per output
 * ({@code s = max |w| / 127}, {@code q = clamp(round(w / s), -127, 127)}).
 */
public final class WeightQuantizer {
  private WeightQuantizer() {}

  /** Input features per 4-bit group, the largest that divides the layer: AWQ's usual 128, else 64 or 32. */
  private static final int[] INT4_GROUPS = {128, 64, 32};

  /** The 4-bit group size for a layer of {@code in} input features, or 0 when none divides it. */
  public static int int4GroupSize(long in) {
    for (int g : INT4_GROUPS) {
      if (in % g == 0) {
        return g;
      }
    }
    return 0;
  }

  /**
   * A 4-bit group's scale and zero point.
   *
   * @param scale the step between levels
   * @param zero the level that stands for 0, in {@code [0, 15]}
   */
  public record Int4Group(float scale, int zero) {
    /** The 4-bit level of {@code value}, in {@code [0, 15]}. */
    public int level(float value) {
      return Math.clamp(Math.round(value / scale) + zero, 0, 15);
    }
  }

  /** The group of {@code values[from, from + count)}. */
  public static Int4Group int4Group(float[] values, int from, int count) {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = from; i < from + count; i++) {
      min = Math.min(min, values[i]);
      max = Math.max(max, values[i]);
    }
    float scale = Math.max(max - min, 1e-5f) / 15f;
    return new Int4Group(scale, Math.clamp(-Math.round(min / scale), 0, 15));
  }

  /** The 8-bit scale of one output's row {@code values[from, from + count)}: {@code max |w| / 127}, or 1 for zeros. */
  public static float int8Scale(float[] values, int from, int count) {
    float max = 0;
    for (int i = from; i < from + count; i++) {
      max = Math.max(max, Math.abs(values[i]));
    }
    return max > 0 ? max / 127f : 1f;
  }

  /**
   * Checks that a row to be quantized holds only finite values. A NaN or an infinity would otherwise
   * vanish into a scale and a level (8 bits clamp it to a normal-looking number), and the damaged
   * checkpoint would answer plausible tokens instead of failing.
   *
   * @param tensor the checkpoint's name of the weight, for the message
   * @param row the output feature {@code values[from, from + count)} belongs to
   * @throws ModelFormatException naming the tensor, the row and the column
   */
  public static void requireFinite(float[] values, int from, int count, String tensor, long row) {
    for (int i = from; i < from + count; i++) {
      if (!Float.isFinite(values[i])) {
        throw new ModelFormatException(
            "the weight " + tensor + " holds " + values[i] + " at row " + row + ", column " + (i - from)
                + "; quantizing it would hide the damage. The checkpoint is corrupt or was converted badly:"
                + " download or convert it again");
      }
    }
  }

  /** The signed 8-bit level of {@code value}. */
  public static byte int8(float value, float scale) {
    return (byte) Math.clamp(Math.round(value / scale), -127, 127);
  }
}
