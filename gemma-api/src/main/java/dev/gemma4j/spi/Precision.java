package dev.gemma4j.spi;

import java.util.Locale;

/** The precision activations are computed in. Weights are always held at least this precisely. */
public enum Precision {
  /** float32 everywhere: reproduces the reference's float32 goldens. */
  FLOAT32("f32"),
  /**
   * bfloat16 activations, as the reference runs published checkpoints: every intermediate result is
   * rounded to bfloat16, norms and softmax are computed in float32.
   */
  BFLOAT16("bf16");

  private final String flag;

  Precision(String flag) {
    this.flag = flag;
  }

  /** The short name used on the command line: {@code f32} or {@code bf16}. */
  public String flag() {
    return flag;
  }

  /**
   * Parses {@code f32}, {@code float32}, {@code bf16} or {@code bfloat16}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Precision parse(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "f32", "fp32", "float32" -> FLOAT32;
      case "bf16", "bfloat16" -> BFLOAT16;
      default ->
          throw new IllegalArgumentException(
              "unknown dtype \"" + text + "\"; use f32 (float32 math) or bf16 (bfloat16 math)");
    };
  }

  /** Rounds a float32 value to this precision (round to nearest even for bfloat16). */
  public float round(float value) {
    if (this == FLOAT32 || Float.isNaN(value)) {
      return value;
    }
    int bits = Float.floatToRawIntBits(value);
    bits += 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xFFFF0000);
  }
}
