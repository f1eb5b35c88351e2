package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.internal.vector.VectorSupport;

/** {@code y = x · Wᵀ} for an {@link Int8Matrix}: each row's dot product in float32, times its scale. */
public interface Int8MatVec {

  /** The implementation for this JVM: vectorized when {@code jdk.incubator.vector} is enabled. */
  static Int8MatVec get() {
    return Holder.INSTANCE;
  }

  /** {@code y[m * yStride + o] = scale[o] · Σ_i x[m * w.in() + i] · q[o, i]} for {@code m < rows}, {@code from <= o < to}. */
  void multiply(float[] x, int rows, Int8Matrix w, int from, int to, float[] y, int yStride);

  /** Holds the implementation chosen at first use. */
  final class Holder {
    private static final Int8MatVec INSTANCE = VectorSupport.load(
        Int8MatVec.class, "dev.gemma4j.backend.cpu.kernels.VectorInt8MatVec", new ScalarInt8MatVec(),
        "the CPU 8-bit matrix products");

    private Holder() {}
  }
}
