package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.spi.LinearWeight;

/** A linear layer's weight on the CPU: the checkpoint's bytes, in place (or a bf16 copy for bf16 math). */
record CpuLinear(WeightMatrix matrix) implements LinearWeight {
  @Override
  public int outFeatures() {
    return matrix.rows();
  }

  @Override
  public int inFeatures() {
    return matrix.columns();
  }
}
