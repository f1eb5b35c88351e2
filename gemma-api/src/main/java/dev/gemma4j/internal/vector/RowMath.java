package dev.gemma4j.internal.vector;

/**
 * The passes over a row of logits that sampling makes, in a scalar and a vector implementation. Rows are
 * processed in blocks of {@link #BLOCK} elements whose sums are kept, so a draw walks the block sums
 * first and then one block. Internal, not API.
 */
public interface RowMath {
  /** Elements per block of {@link #weights}. */
  int BLOCK = 1024;

  /** The implementation for this JVM: vectorized when {@code jdk.incubator.vector} is enabled. */
  static RowMath get() {
    return Holder.INSTANCE;
  }

  /** Blocks of a row of {@code n}. */
  static int blocks(int n) {
    return (n + BLOCK - 1) / BLOCK;
  }

  /** The largest of {@code x[0 .. n)}; negative infinity when empty. */
  float max(float[] x, int n);

  /**
   * The {@code k}-th largest of {@code x[0 .. n)}, counting equal values separately ({@code 1 <= k <= n}):
   * everything at least this large is Hugging Face's top-k.
   */
  float kthLargest(float[] x, int n, int k);

  /**
   * Writes {@code w[i] = exp((x[i] - max) / temperature)} for {@code x[i] >= floor}, else 0, the sum of
   * each block of {@code w} into {@code blockSums}, and returns the sum of all of {@code w}.
   */
  double weights(float[] x, int n, float max, float temperature, float floor, float[] w, double[] blockSums);

  /** The sum of {@code w[from .. to)} that are above {@code t} ({@code > t} when strict, else {@code >= t}). */
  double sumAbove(float[] w, int from, int to, float t, boolean strict);

  /** How many of {@code w[from .. to)} equal {@code v}. */
  int countEqual(float[] w, int from, int to, float v);

  /** Whether {@code x[0 .. n)} are all finite (no NaN, no infinity). */
  boolean allFinite(float[] x, int n);

  /** Holds the instance chosen at first use. */
  final class Holder {
    private static final RowMath INSTANCE =
        VectorSupport.load(RowMath.class, "dev.gemma4j.internal.vector.VectorRowMath", new ScalarRowMath(), "sampling");

    private Holder() {}
  }
}
