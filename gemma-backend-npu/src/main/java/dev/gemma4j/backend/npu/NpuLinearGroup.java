package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.LinearWeight;

/**
 * Linear layers that read the same input, stacked row-wise into one {@code [sum of widths, in]} matrix in
 * device memory so that one {@code Mm} computes them all.
 *
 * @param weight the stacked matrix
 * @param widths each layer's output features, in stacking order
 */
record NpuLinearGroup(NpuTensor weight, long[] widths) implements LinearWeight {
  @Override
  public int outFeatures() {
    return Math.toIntExact(weight.dim(0));
  }

  @Override
  public int inFeatures() {
    return Math.toIntExact(weight.dim(1));
  }
}
