package dev.gemma4j.backend.cpu.kernels;

/**
 * {@link Int8MatVec} on the native kernels' integer dot products (AVX-512 VNNI or AVX2); rows whose length is
 * not a multiple of 32 go to the Java kernel, which gives the same bits.
 */
final class NativeInt8MatVec implements Int8MatVec {
  private static final Int8MatVec JAVA = new ScalarInt8MatVec();
  private final NativeKernels kernels;
  private final int level;

  NativeInt8MatVec(NativeKernels kernels) {
    this(kernels, kernels.level());
  }

  /** At instruction-set {@code level} (at most the machine's): for the tests that compare the paths. */
  NativeInt8MatVec(NativeKernels kernels, int level) {
    this.kernels = kernels;
    this.level = level;
  }

  @Override
  public void multiply(Int8Activations x, Int8Matrix w, int from, int to, float[] y, int yStride) {
    if (w.in() % Int8Activations.BLOCK != 0) {
      JAVA.multiply(x, w, from, to, y, yStride);
      return;
    }
    kernels.int8Rows(level, w.q(), w.scales(), w.in(), x.rows(), x.q(), x.scales(), from, to, y, yStride);
  }

  @Override
  public String toString() {
    return "native int8 kernels, " + NativeKernels.levelName(level);
  }
}
