package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.spi.Precision;

/** {@link Elementwise} in plain Java. */
public final class ScalarElementwise implements Elementwise {

  /** Creates the scalar kernels. */
  public ScalarElementwise() {}

  @Override
  public void geluTanh(float[] g, int from, int to, float[] out) {
    for (int i = from; i < to; i++) {
      float x = g[i];
      float inner = (x + x * x * x * 0.044715f) * SQRT_2_OVER_PI;
      out[i] = x * 0.5f * ((float) Math.tanh(inner) + 1f);
    }
  }

  @Override
  public void tanh(float[] x, int from, int to, float[] out) {
    for (int i = from; i < to; i++) {
      out[i] = (float) Math.tanh(x[i]);
    }
  }

  @Override
  public float sumOfSquares(float[] x, int from, int to) {
    float sum = 0;
    for (int i = from; i < to; i++) {
      sum += x[i] * x[i];
    }
    return sum;
  }

  @Override
  public void roundToBf16(float[] x, int from, int to) {
    for (int i = from; i < to; i++) {
      x[i] = Precision.BFLOAT16.round(x[i]);
    }
  }
}
