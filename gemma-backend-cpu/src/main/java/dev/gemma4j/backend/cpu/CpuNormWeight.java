package dev.gemma4j.backend.cpu;

import dev.gemma4j.spi.NormWeight;

/** A norm weight on the CPU: {@code 1 + w} in float32, on the heap. */
record CpuNormWeight(float[] onePlusWeight) implements NormWeight {
  @Override
  public int width() {
    return onePlusWeight.length;
  }
}
