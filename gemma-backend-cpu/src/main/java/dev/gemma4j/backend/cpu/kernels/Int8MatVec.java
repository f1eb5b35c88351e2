package dev.gemma4j.backend.cpu.kernels;

/**
 * {@code y = x · Wᵀ} for an {@link Int8Matrix} on integers: activations quantized in blocks of 32
 * ({@link Int8Activations}), each block's dot product with the weight's bytes exact, and the float sums in one
 * fixed order, so every implementation gives the same bits. For row {@code o} and activation row {@code m}:
 * {@code y = scale[o] · combine(acc)}, {@code acc[l] = fma(d[b], isum[b], acc[l])} for blocks
 * {@code b = l, l + 8, ...}, and {@code combine(a) = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))}
 * (see {@code src/main/c/gemma4j_kernels.c}).
 */
public interface Int8MatVec {

  /** The implementation for this machine: the native kernels where they load, else the Java one. */
  static Int8MatVec get() {
    return Holder.INSTANCE;
  }

  /** {@code y[m * yStride + o]} for the rows {@code m} of {@code x} and {@code from <= o < to}. */
  void multiply(Int8Activations x, Int8Matrix w, int from, int to, float[] y, int yStride);

  /** Holds the implementation chosen at first use. */
  final class Holder {
    private static final Int8MatVec INSTANCE = NativeKernels.loaded()
        .<Int8MatVec>map(NativeInt8MatVec::new)
        .orElseGet(ScalarInt8MatVec::new);

    private Holder() {}
  }
}
