package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.Int8Matrix;
import dev.gemma4j.spi.LinearWeight;

/** A linear layer's weight quantized to 8 bits at load. */
record CpuInt8Linear(Int8Matrix matrix) implements LinearWeight {
  @Override
  public int outFeatures() {
    return matrix.out();
  }

  @Override
  public int inFeatures() {
    return matrix.in();
  }
}
