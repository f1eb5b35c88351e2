package dev.gemma4j.config;

/** The gated MLP's activation: {@code act(x · gateᵀ) * (x · upᵀ)}. */
public enum Activation {
  /** GELU with the tanh approximation, transformers' {@code gelu_pytorch_tanh} (every Gemma 2 and 3 model). */
  GELU_TANH("gelu_pytorch_tanh");

  private final String configName;

  Activation(String configName) {
    this.configName = configName;
  }

  /** How {@code config.json} names it ({@code hidden_activation}). */
  public String configName() {
    return configName;
  }
}
