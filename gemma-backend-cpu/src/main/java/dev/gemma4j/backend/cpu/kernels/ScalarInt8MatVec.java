package dev.gemma4j.backend.cpu.kernels;

import java.lang.foreign.ValueLayout;

/** {@link Int8MatVec} in plain Java: the reference the vector kernel is tested against, and its tails. */
public final class ScalarInt8MatVec implements Int8MatVec {

  @Override
  public void multiply(float[] x, int rows, Int8Matrix w, int from, int to, float[] y, int yStride) {
    int in = w.in();
    for (int m = 0; m < rows; m++) {
      for (int o = from; o < to; o++) {
        y[m * yStride + o] = w.scale(o) * dot(x, m * in, w, o, 0, in);
      }
    }
  }

  /** {@code Σ x[xm + i] · q[o, i]} over {@code [start, end)}. */
  static float dot(float[] x, int xm, Int8Matrix w, int o, int start, int end) {
    float sum = 0;
    long row = (long) o * w.in();
    for (int i = start; i < end; i++) {
      sum += x[xm + i] * w.q().get(ValueLayout.JAVA_BYTE, row + i);
    }
    return sum;
  }
}
