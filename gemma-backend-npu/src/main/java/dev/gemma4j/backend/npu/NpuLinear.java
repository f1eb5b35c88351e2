package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.LinearWeight;

/**
 * A linear layer's weight in device memory, {@code [out, in]}: one layer, or several that read the same
 * input stacked row-wise (q/k/v, gate/up) so that one {@code Mm} computes them all.
 *
 * @param weight the matrix
 * @param widths each stacked layer's output features, in order; one entry for a single layer
 */
record NpuLinear(NpuTensor weight, long[] widths) implements LinearWeight {
  /** A single layer. */
  NpuLinear(NpuTensor weight) {
    this(weight, new long[] {weight.dim(0)});
  }

  /** Whether several layers are stacked here. */
  boolean stacked() {
    return widths.length > 1;
  }

  @Override
  public int outFeatures() {
    return Math.toIntExact(weight.dim(0));
  }

  @Override
  public int inFeatures() {
    return Math.toIntExact(weight.dim(1));
  }
}
