package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.LinearWeight;
import org.jspecify.annotations.Nullable;

/**
 * A quantized linear layer in the form {@code aclnnWeightQuantBatchMatmulV2} reads: signed int4 or int8
 * weights {@code [in, out]}, and {@code W = (q + offset) * scale} per group of input features (or per output
 * when one group spans every input).
 *
 * @param weight {@code [in, out]}: an int4 view of packed int32 memory, or int8
 * @param scale {@code [in / group, out]}, or {@code [out]} per channel, in the activation dtype
 * @param offset like {@code scale}: {@code 8 - zero point} for 4 bits; {@code null} for symmetric 8 bits
 * @param groupSize input features per scale, or 0 per channel
 */
record NpuQuantLinear(NpuTensor weight, NpuTensor scale, @Nullable NpuTensor offset, int groupSize) implements LinearWeight {
  @Override
  public int outFeatures() {
    return Math.toIntExact(weight.dim(1));
  }

  @Override
  public int inFeatures() {
    return Math.toIntExact(weight.dim(0));
  }
}
