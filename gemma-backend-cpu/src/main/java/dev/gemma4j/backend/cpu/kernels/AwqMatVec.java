package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.internal.vector.VectorSupport;

/**
 * {@code y = x · W} for an {@link AwqMatrix}, straight from the packed 4-bit weights: per group,
 * {@code s_o · Σ x_i (q_io - z_o)}, the scale applied once per group. Sums are float32.
 */
public interface AwqMatVec {

  /** The implementation for this JVM: vectorized when {@code jdk.incubator.vector} is enabled. */
  static AwqMatVec get() {
    return Holder.INSTANCE;
  }

  /**
   * Computes {@code y[m * yStride + o] = Σ_i x[m * w.in() + i] · W[i, o]} for the {@code m < rows} rows of
   * {@code x} and the output columns {@code 8 * from <= o < 8 * to} (packed columns {@code from .. to}).
   */
  void multiply(float[] x, int rows, AwqMatrix w, int from, int to, float[] y, int yStride);

  /** Holds the implementation chosen at first use. */
  final class Holder {
    private static final AwqMatVec INSTANCE = VectorSupport.load(
        AwqMatVec.class, "dev.gemma4j.backend.cpu.kernels.VectorAwqMatVec", new ScalarAwqMatVec(),
        "the CPU 4-bit matrix products");

    private Holder() {}
  }
}
