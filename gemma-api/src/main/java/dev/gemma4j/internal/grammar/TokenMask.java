package dev.gemma4j.internal.grammar;

import java.util.Arrays;

/**
 * The tokens a grammar allows in one state: a list when few are (most states of a JSON grammar allow a
 * handful), a bitmap otherwise. Immutable.
 */
final class TokenMask {
  private static final int SPARSE_LIMIT = 2_048;
  private final int[] allowed; // when sparse
  private final long[] bits; // when dense
  private final int count;

  private TokenMask(int[] allowed, long[] bits, int count) {
    this.allowed = allowed;
    this.bits = bits;
    this.count = count;
  }

  int count() {
    return count;
  }

  /** The allowed tokens in increasing order when they are few, else {@code null}. */
  int[] sparseIds() {
    return allowed;
  }

  /** Sets every logit the mask does not allow to negative infinity. */
  void apply(float[] logits) {
    if (bits != null) {
      for (int i = 0; i < logits.length; i++) {
        if (i >>> 6 >= bits.length || (bits[i >>> 6] >>> i & 1) == 0) {
          logits[i] = Float.NEGATIVE_INFINITY;
        }
      }
      return;
    }
    float[] kept = new float[allowed.length];
    for (int k = 0; k < allowed.length; k++) {
      kept[k] = allowed[k] < logits.length ? logits[allowed[k]] : Float.NEGATIVE_INFINITY;
    }
    Arrays.fill(logits, Float.NEGATIVE_INFINITY);
    for (int k = 0; k < allowed.length; k++) {
      if (allowed[k] < logits.length) {
        logits[allowed[k]] = kept[k];
      }
    }
  }

  static final class Builder {
    private final long[] bits;
    private int count;

    Builder(int vocabSize) {
      bits = new long[(vocabSize + 63) >>> 6];
    }

    void allow(int token) {
      if (token < 0 || token >>> 6 >= bits.length) {
        return;
      }
      long before = bits[token >>> 6];
      bits[token >>> 6] = before | 1L << token;
      if (before != bits[token >>> 6]) {
        count++;
      }
    }

    TokenMask build() {
      if (count > SPARSE_LIMIT) {
        return new TokenMask(null, bits, count);
      }
      int[] allowed = new int[count];
      int k = 0;
      for (int w = 0; w < bits.length; w++) {
        for (long word = bits[w]; word != 0; word &= word - 1) {
          allowed[k++] = w << 6 | Long.numberOfTrailingZeros(word);
        }
      }
      return new TokenMask(allowed, null, count);
    }
  }
}
