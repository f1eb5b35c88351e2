package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.AwqMatrix;
import dev.gemma4j.spi.LinearWeight;

/** A linear layer's AWQ 4-bit weight on the CPU: the checkpoint's packed weights, in place. */
record CpuAwqLinear(AwqMatrix matrix) implements LinearWeight {
  @Override
  public int outFeatures() {
    return matrix.out();
  }

  @Override
  public int inFeatures() {
    return matrix.in();
  }
}
