package dev.gemma4j.internal.vector;

/** {@link RowMath} in plain Java: the path without the Vector API, and the reference for the vector one. */
public final class ScalarRowMath implements RowMath {

  /** Creates the scalar implementation. */
  public ScalarRowMath() {}

  @Override
  public float max(float[] x, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, x[i]);
    }
    return max;
  }

  @Override
  public float kthLargest(float[] x, int n, int k) {
    TopKThreshold top = new TopKThreshold(k);
    for (int i = 0; i < n; i++) {
      top.offer(x[i]);
    }
    return top.kth();
  }

  @Override
  public double weights(float[] x, int n, float max, float temperature, float floor, float[] w, double[] blockSums) {
    double total = 0;
    for (int b = 0; b * BLOCK < n; b++) {
      double sum = 0;
      for (int i = b * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) {
        float v = x[i] >= floor ? (float) Math.exp((x[i] - max) / temperature) : 0f;
        w[i] = v;
        sum += v;
      }
      blockSums[b] = sum;
      total += sum;
    }
    return total;
  }

  @Override
  public double sumAbove(float[] w, int from, int to, float t, boolean strict) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      float v = w[i];
      if (v > t || (!strict && v == t)) {
        sum += v;
      }
    }
    return sum;
  }

  @Override
  public int countEqual(float[] w, int from, int to, float v) {
    int count = 0;
    for (int i = from; i < to; i++) {
      if (w[i] == v) {
        count++;
      }
    }
    return count;
  }

  @Override
  public boolean allFinite(float[] x, int n) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(x[i])) {
        return false;
      }
    }
    return true;
  }
}
