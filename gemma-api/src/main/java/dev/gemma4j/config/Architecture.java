package dev.gemma4j.config;

import java.util.List;

/**
 * The model architectures gemma4j runs: each has a config reader here and a forward pass in the engine's
 * model registry, so adding one is a new constant, a reader and a model class (see {@code docs/models.md}).
 */
public enum Architecture {
  /** Gemma 2: {@code Gemma2ForCausalLM}, alternating sliding and full layers, attention and final soft-caps. */
  GEMMA2("gemma2", List.of("gemma2")),
  /**
   * Gemma 3's language model: {@code Gemma3ForCausalLM} ({@code gemma3_text}) and the text half of
   * {@code Gemma3ForConditionalGeneration} ({@code gemma3}); q/k norms, a RoPE base per layer kind, no
   * attention soft-cap.
   */
  GEMMA3("gemma3", List.of("gemma3_text", "gemma3"));

  private final String displayName;
  private final List<String> modelTypes;

  Architecture(String displayName, List<String> modelTypes) {
    this.displayName = displayName;
    this.modelTypes = modelTypes;
  }

  /** The short name used in summaries and logs, e.g. {@code gemma3}. */
  public String displayName() {
    return displayName;
  }

  /** The {@code model_type} values of {@code config.json} this architecture reads. */
  public List<String> modelTypes() {
    return modelTypes;
  }

  /** Every {@code model_type} gemma4j reads, for error messages. */
  static String supportedModelTypes() {
    return String.join(", ", java.util.Arrays.stream(values())
        .flatMap(a -> a.modelTypes.stream().map(t -> "\"" + t + "\"")).toList());
  }
}
