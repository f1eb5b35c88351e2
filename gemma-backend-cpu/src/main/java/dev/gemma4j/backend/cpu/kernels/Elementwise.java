package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.internal.vector.VectorSupport;

/**
 * The elementwise passes of a Gemma 2 step that cost more than a plain loop: those with a tanh (GELU,
 * soft-capping), the sum of squares of RMSNorm, and rounding to bfloat16. Vectorized when the Vector API
 * is enabled (tanh through the JDK's vector math library), plain Java otherwise.
 */
public interface Elementwise {
  /** √(2/π), as PyTorch's tanh-approximated GELU uses it. */
  float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

  /** The implementation for this JVM. */
  static Elementwise get() {
    return Holder.INSTANCE;
  }

  /** {@code out[i] = 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³)))} for {@code i} in {@code [from, to)}. */
  void geluTanh(float[] g, int from, int to, float[] out);

  /** {@code out[i] = tanh(x[i])} for {@code i} in {@code [from, to)}. */
  void tanh(float[] x, int from, int to, float[] out);

  /** {@code Σ x[i]²} over {@code [from, to)}, in float32. */
  float sumOfSquares(float[] x, int from, int to);

  /** Rounds {@code x[from .. to)} to bfloat16 values in place (to nearest, ties to even). */
  void roundToBf16(float[] x, int from, int to);

  /** Holds the implementation chosen at first use. */
  final class Holder {
    private static final Elementwise INSTANCE =
        VectorSupport.load(
            Elementwise.class, "dev.gemma4j.backend.cpu.kernels.VectorElementwise", new ScalarElementwise(),
            "the CPU elementwise kernels");

    private Holder() {}
  }
}
