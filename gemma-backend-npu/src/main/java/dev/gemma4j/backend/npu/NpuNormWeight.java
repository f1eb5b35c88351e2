package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.NormWeight;
import org.jspecify.annotations.Nullable;

/**
 * A norm weight on the NPU: {@code 1 + w} in float32, and in bf16 where bf16 math's fused norm (or an
 * {@code RmsNorm} that refuses a float32 gamma) wants gamma in x's dtype.
 *
 * @param onePlusWeight float32 {@code [width]}
 * @param bf16OnePlusWeight bf16 {@code [width]}, or {@code null} where no kernel needs it
 */
record NpuNormWeight(NpuTensor onePlusWeight, @Nullable NpuTensor bf16OnePlusWeight) implements NormWeight {
  @Override
  public int width() {
    return Math.toIntExact(onePlusWeight.dim(0));
  }
}
