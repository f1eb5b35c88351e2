package dev.gemma4j.backend.cpu.kernels;

/** {@link AwqMatVec} in plain Java: the reference the vector kernel is tested against, and its tails. */
public final class ScalarAwqMatVec implements AwqMatVec {

  @Override
  public void multiply(float[] x, int rows, AwqMatrix w, int from, int to, float[] y, int yStride) {
    int packed = w.packed();
    int group = w.groupSize();
    float[] scales = w.scales();
    float[] zeros = w.zeros();
    float[] acc = new float[8];
    for (int m = 0; m < rows; m++) {
      int xBase = m * w.in();
      for (int j = from; j < to; j++) {
        float[] result = new float[8];
        for (int g = 0; g < w.in() / group; g++) {
          java.util.Arrays.fill(acc, 0);
          int first = g * 8 * packed + j;
          for (int i = g * group; i < (g + 1) * group; i++) {
            float xi = x[xBase + i];
            int word = w.word(i, j);
            for (int k = 0; k < 8; k++) {
              acc[k] += xi * (((word >>> (4 * k)) & 0xF) - zeros[first + k * packed]);
            }
          }
          for (int k = 0; k < 8; k++) {
            result[k] += scales[first + k * packed] * acc[k];
          }
        }
        for (int k = 0; k < 8; k++) {
          y[m * yStride + 8 * j + AwqMatrix.ORDER[k]] = result[k];
        }
      }
    }
  }
}
