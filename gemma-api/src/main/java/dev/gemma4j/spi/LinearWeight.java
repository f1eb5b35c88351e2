package dev.gemma4j.spi;

/**
 * A linear layer's weight {@code [out, in]} in whatever form the backend's matrix product reads it: in
 * place from the memory-mapped checkpoint, converted once at load, or quantized. Created by
 * {@link TensorOps#loadLinear} and used only by the backend that created it.
 */
public interface LinearWeight {
  /** Output features (rows). */
  int outFeatures();

  /** Input features (columns). */
  int inFeatures();
}
