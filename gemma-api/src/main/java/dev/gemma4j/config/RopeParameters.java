package dev.gemma4j.config;

/**
 * The rotary embedding of one kind of layer: its base and its linear position scaling (transformers'
 * {@code rope_type} {@code "linear"}: inverse frequencies divided by {@code linearFactor}).
 *
 * @param theta the base, positive and finite
 * @param linearFactor positions are divided by it; 1 for none
 */
public record RopeParameters(double theta, double linearFactor) {
  /** Validates the values. */
  public RopeParameters {
    if (!(theta > 0) || !Double.isFinite(theta) || !(linearFactor > 0) || !Double.isFinite(linearFactor)) {
      throw new ModelFormatException("config.json: the RoPE base (rope_theta) and its scaling factor must be positive"
          + " and finite, found " + theta + " and " + linearFactor);
    }
  }

  /** Reads one {@code rope_parameters} entry ({@code rope_type} "default" or "linear") or a {@code rope_scaling}. */
  static RopeParameters read(JsonFields rope, double fallbackTheta) {
    String type = rope.stringOrNull("rope_type");
    if (type == null) {
      type = rope.stringOrNull("type");
    }
    double theta = rope.doubleOr("rope_theta", fallbackTheta);
    if (type == null || type.equals("default")) {
      return new RopeParameters(theta, 1);
    }
    if (type.equals("linear")) {
      return new RopeParameters(theta, rope.requireDouble("factor"));
    }
    throw new ModelFormatException(rope.source() + ": rope_type \"" + type + "\" is not supported; gemma4j runs"
        + " \"default\" and \"linear\" RoPE, as the Gemma 2 and Gemma 3 checkpoints use");
  }
}
