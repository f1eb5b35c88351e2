package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.internal.vector.VectorSupport;

/**
 * {@code y = x · Wᵀ} for a few rows of {@code x}, reading each weight once for all of them: the decode
 * step's matrix products, bound by how fast the weights stream from memory. One implementation uses the
 * Java Vector API (bf16 widened in registers, f32 accumulation), the other plain Java.
 */
public interface MatVec {

  /** The implementation for this JVM: vectorized when {@code jdk.incubator.vector} is enabled. */
  static MatVec get() {
    return Holder.INSTANCE;
  }

  /**
   * Computes {@code y[m * yStride + o] = Σ_i x[m * w.columns() + i] · W[o, i]} for the {@code m < rows}
   * rows of {@code x} and the output features {@code from <= o < to}.
   */
  default void multiply(float[] x, int rows, WeightMatrix w, int from, int to, float[] y, int yStride) {
    multiply(x, 0, rows, w, from, to, y, 0, yStride);
  }

  /**
   * Like {@link #multiply(float[], int, WeightMatrix, int, int, float[], int)} with {@code x} starting at
   * {@code x[xOffset]} and {@code y[yOffset + m * yStride + o]}.
   */
  void multiply(float[] x, int xOffset, int rows, WeightMatrix w, int from, int to, float[] y, int yOffset, int yStride);

  /**
   * Adds the rows of {@code w}, weighted, to rows of {@code out}: for {@code m < rows},
   * {@code out[outOffset + m * w.columns() + i] += Σ_j p[pOffset + m * pStride + j] · W[j, i]} over all
   * {@code j < w.rows()}: attention's probabilities times values.
   */
  void accumulate(float[] p, int pOffset, int pStride, int rows, WeightMatrix w, float[] out, int outOffset);

  /** Holds the implementation chosen at first use. */
  final class Holder {
    private static final MatVec INSTANCE =
        VectorSupport.load(
            MatVec.class, "dev.gemma4j.backend.cpu.kernels.VectorMatVec", new ScalarMatVec(), "the CPU matrix products");

    private Holder() {}
  }
}
