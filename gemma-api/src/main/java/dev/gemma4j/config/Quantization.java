package dev.gemma4j.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code quantization_config} of a checkpoint's {@code config.json}. gemma4j reads AutoAWQ's 4-bit
 * {@code gemm} layout, as the published AWQ Gemma 2 checkpoints use it: per linear layer {@code qweight}
 * (int32 {@code [in, out/8]}), {@code qzeros} (int32 {@code [in/group, out/8]}) and {@code scales}
 * (float16 {@code [in/group, out]}), eight 4-bit values per int32 in the order 0, 2, 4, 6, 1, 3, 5, 7, and
 * {@code W = (q - z) * s}. Anything else is refused with what is supported.
 *
 * @param bits bits per weight (4)
 * @param groupSize input features sharing a scale and a zero point (32, 64 or 128)
 */
public record Quantization(int bits, int groupSize) {
  /** The group sizes published AWQ checkpoints use. */
  public static final List<Integer> GROUP_SIZES = List.of(32, 64, 128);

  private static final String SUPPORTED =
      "gemma4j reads AWQ checkpoints with quant_method \"awq\", bits 4, zero_point true, version \"gemm\" and"
          + " group_size 32, 64 or 128 (AutoAWQ's default export)";

  /**
   * The quantization a {@code config.json} declares, or empty for a float checkpoint.
   *
   * @throws ModelFormatException for a quantization gemma4j does not read, naming what it reads
   */
  public static Optional<Quantization> load(Path configJson) {
    return from(JsonFields.read(configJson, "a Hugging Face checkpoint folder holds config.json"));
  }

  /** Like {@link #load} for the text of a {@code config.json}. */
  public static Optional<Quantization> parse(String json, String source) {
    return from(JsonFields.parse(json, source));
  }

  private static Optional<Quantization> from(JsonFields config) {
    JsonFields q = config.objectOrNull("quantization_config");
    if (q == null) {
      return Optional.empty();
    }
    String where = config.source() + ": quantization_config";
    String method = q.stringOrNull("quant_method");
    if (method == null || !method.toLowerCase(Locale.ROOT).equals("awq")) {
      throw new ModelFormatException(where + " has quant_method \"" + method + "\"; " + SUPPORTED
          + ". Use the float checkpoint (bf16) of this model instead");
    }
    int bits = q.intOr("bits", q.intOr("w_bit", -1));
    if (bits != 4) {
      throw new ModelFormatException(where + " has bits " + bits + "; " + SUPPORTED);
    }
    int group = q.intOr("group_size", q.intOr("q_group_size", -1));
    if (!GROUP_SIZES.contains(group)) {
      throw new ModelFormatException(where + " has group_size " + group + "; " + SUPPORTED);
    }
    if (!q.booleanOr("zero_point", true)) {
      throw new ModelFormatException(where + " has zero_point false (symmetric AWQ); " + SUPPORTED);
    }
    String version = q.stringOrNull("version");
    if (version != null && !version.equalsIgnoreCase("gemm")) {
      throw new ModelFormatException(where + " has version \"" + version + "\", whose packing differs; " + SUPPORTED
          + ". Re-export with version \"gemm\"");
    }
    if (q.has("modules_to_not_convert") && !q.stringList("modules_to_not_convert").isEmpty()) {
      throw new ModelFormatException(where + " keeps modules " + q.stringList("modules_to_not_convert")
          + " unquantized; " + SUPPORTED + ", with every linear layer quantized");
    }
    return Optional.of(new Quantization(bits, group));
  }
}
