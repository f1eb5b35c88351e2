package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.LinearWeight;

/**
 * A 4-bit linear layer in the form {@code aclnnWeightQuantBatchMatmulV2} reads: signed int4 weights
 * {@code [in, out]}, and {@code W = (q + offset) * scale} per group of input features (or per output when
 * one group spans every input).
 *
 * @param weight the int4 view {@code [in, out]} of the packed int32 memory
 * @param scale {@code [in / group, out]}, or {@code [out]} per channel, in the activation dtype
 * @param offset like {@code scale}: {@code 8 - zero point}
 * @param groupSize input features per scale, or 0 per channel
 */
record NpuQuantLinear(NpuTensor weight, NpuTensor scale, NpuTensor offset, int groupSize) implements LinearWeight {
  @Override
  public int outFeatures() {
    return Math.toIntExact(weight.dim(1));
  }

  @Override
  public int inFeatures() {
    return Math.toIntExact(weight.dim(0));
  }
}
