package dev.gemma4j.spi;

import dev.gemma4j.checkpoint.TensorInfo;

/**
 * Where a linear layer's weight lies in a checkpoint, as the architecture found it: what a backend turns
 * into a {@link LinearWeight}.
 */
public sealed interface LinearSource {
  /** Output features. */
  int outFeatures();

  /** Input features. */
  int inFeatures();

  /**
   * A dense weight {@code [out, in]} of bf16, f16 or f32.
   *
   * @param weight the tensor
   */
  record Dense(TensorInfo weight) implements LinearSource {
    @Override
    public int outFeatures() {
      return Math.toIntExact(weight.shape().get(0));
    }

    @Override
    public int inFeatures() {
      return Math.toIntExact(weight.shape().get(1));
    }
  }
}
