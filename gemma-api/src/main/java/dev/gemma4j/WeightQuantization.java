package dev.gemma4j;

/**
 * Whether the linear layers of a float checkpoint (bf16, f16, f32) are quantized while loading. The
 * embedding, the output head tied to it and the norms stay as stored. Quantized weights answer close to,
 * not exactly as, the reference; docs/backends.md reports how close.
 */
public enum WeightQuantization {
  /** The weights as the checkpoint stores them. */
  NONE,
  /** 8-bit integers, symmetric, one scale per output: a quarter of float32, half of bf16, close to exact. */
  INT8,
  /**
   * 4-bit integers, asymmetric, one scale and zero point per 128 input features of each output (64 or 32
   * for layers narrower than that), in AWQ's layout, so the same kernels serve AWQ checkpoints and this.
   */
  INT4
}
