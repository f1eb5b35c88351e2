package dev.gemma4j.internal.model;

import dev.gemma4j.config.RopeParameters;
import dev.gemma4j.spi.Precision;

/**
 * Rotary-embedding cosines and sines, computed on the host the way the reference does: inverse
 * frequencies {@code 1 / theta^(2i/d)} and angles {@code position * inv_freq} in float32, duplicated over
 * both halves of the head (rotate-half layout); linear scaling divides the inverse frequencies by its factor.
 *
 * <p>The reference keeps the inverse frequencies in a buffer that is cast together with the model: a
 * checkpoint loaded in its bfloat16 (or float16) dtype carries frequencies rounded to that dtype, even
 * when the math then runs in float32. {@code frequencyDtype} reproduces that rounding.
 */
final class RopeTable {
  private final int headDim;
  private final float[] inverseFrequencies;

  RopeTable(int headDim, RopeParameters rope, String frequencyDtype) {
    this.headDim = headDim;
    int half = headDim / 2;
    float factor = (float) rope.linearFactor();
    inverseFrequencies = new float[half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / (float) headDim;
      float power = (float) Math.pow(rope.theta(), exponent);
      // Linear scaling divides the float32 inverse frequencies, before any cast to the checkpoint's dtype.
      float inverse = 1.0f / power;
      inverseFrequencies[i] = roundTo(frequencyDtype, factor == 1f ? inverse : inverse / factor);
    }
  }

  /** {@code value} rounded to a checkpoint dtype ({@code bfloat16}, {@code float16}; others keep float32). */
  static float roundTo(String dtype, float value) {
    return switch (dtype) {
      case "bfloat16" -> Precision.BFLOAT16.round(value);
      case "float16" -> Float.float16ToFloat(Float.floatToFloat16(value));
      default -> value;
    };
  }

  float[] cos(int[] positions) {
    return table(positions, true);
  }

  float[] sin(int[] positions) {
    return table(positions, false);
  }

  private float[] table(int[] positions, boolean cosine) {
    int half = headDim / 2;
    float[] out = new float[positions.length * headDim];
    for (int r = 0; r < positions.length; r++) {
      float position = positions[r];
      for (int i = 0; i < half; i++) {
        float angle = position * inverseFrequencies[i];
        float value = (float) (cosine ? Math.cos(angle) : Math.sin(angle));
        out[r * headDim + i] = value;
        out[r * headDim + half + i] = value;
      }
    }
    return out;
  }
}
