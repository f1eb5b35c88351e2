package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.LinearWeight;

/** A linear layer's weight in device memory, {@code [out, in]}. */
record NpuLinear(NpuTensor weight) implements LinearWeight {
  @Override
  public int outFeatures() {
    return Math.toIntExact(weight.dim(0));
  }

  @Override
  public int inFeatures() {
    return Math.toIntExact(weight.dim(1));
  }
}
