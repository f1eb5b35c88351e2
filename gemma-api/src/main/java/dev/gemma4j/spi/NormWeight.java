package dev.gemma4j.spi;

/**
 * An RMSNorm weight in whatever form the backend's norms read it (Gemma's {@code 1 + w} in float32, with a
 * 16-bit copy where a fused kernel wants one). Created by {@link TensorOps#loadNormWeight} and used only by
 * the backend that created it, as a {@link LinearWeight} is.
 */
public interface NormWeight {
  /** Elements: the width of what it normalizes. */
  int width();
}
