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

  /**
   * An AWQ 4-bit weight in AutoAWQ's {@code gemm} layout: {@code W[in, out] = (q - z) * s}.
   *
   * @param qweight int32 {@code [in, out/8]}: eight 4-bit weights per int32, output columns in the order
   *     0, 2, 4, 6, 1, 3, 5, 7 from the lowest nibble
   * @param qzeros int32 {@code [in/group, out/8]}, packed the same way
   * @param scales float16 (or bf16, f32) {@code [in/group, out]}
   * @param groupSize input features that share a scale and a zero point
   */
  record Awq(TensorInfo qweight, TensorInfo qzeros, TensorInfo scales, int groupSize) implements LinearSource {
    /** Nibble {@code k} of a packed int32 holds output column {@code 8 * j + ORDER[k]}. */
    public static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

    @Override
    public int outFeatures() {
      return Math.toIntExact(scales.shape().get(1));
    }

    @Override
    public int inFeatures() {
      return Math.toIntExact(qweight.shape().get(0));
    }
  }

  /**
   * A dense float weight {@code [out, in]} to quantize while loading: to 8 bits, symmetric, one scale per
   * output ({@code max |w| / 127}); or to 4 bits, asymmetric, one scale and zero point per
   * {@code groupSize} input features of each output, in the layout of {@link Awq}.
   *
   * @param weight the tensor
   * @param to {@code INT8} or {@code INT4}
   * @param groupSize input features per scale and zero point for {@code INT4}; 0 for {@code INT8}
   */
  record QuantizeAtLoad(TensorInfo weight, dev.gemma4j.WeightQuantization to, int groupSize) implements LinearSource {
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
