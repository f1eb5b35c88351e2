package dev.gemma4j.sampling;

import java.util.Arrays;
import dev.gemma4j.spi.Sampler.TokenHistory;
import java.util.BitSet;

/**
 * The standard logits processors, with the semantics of Hugging Face's warpers of the same names: the
 * readable definition of sampling, which {@link Samplers#forConfig} computes faster in one fused pass.
 */
public final class LogitsProcessors {
  private LogitsProcessors() {}

  /** Divides every logit by {@code temperature}. */
  public static LogitsProcessor temperature(double temperature) {
    float t = (float) temperature;
    return (logits, history) -> {
      for (int i = 0; i < logits.length; i++) {
        logits[i] /= t;
      }
    };
  }

  /**
   * Penalizes tokens already in the history: a positive logit is divided by {@code penalty}, a negative
   * one multiplied, each token once however often it occurred.
   */
  public static LogitsProcessor repetitionPenalty(double penalty) {
    float p = (float) penalty;
    return (logits, history) -> penalize(logits, history, p, new BitSet(logits.length));
  }

  /** Applies the repetition penalty in place; {@code seen} is scratch space, cleared first. */
  static void penalize(float[] logits, TokenHistory history, float penalty, BitSet seen) {
    seen.clear();
    for (int i = 0; i < history.size(); i++) {
      int id = history.get(i);
      if (id >= 0 && id < logits.length && !seen.get(id)) {
        seen.set(id);
        logits[id] = logits[id] < 0 ? logits[id] * penalty : logits[id] / penalty;
      }
    }
  }

  /** Keeps the {@code k} largest logits (and any tied with the k-th); excludes the rest. */
  public static LogitsProcessor topK(int k) {
    return (logits, history) -> {
      if (k >= logits.length) {
        return;
      }
      float[] sorted = logits.clone();
      Arrays.sort(sorted);
      float threshold = sorted[sorted.length - k];
      for (int i = 0; i < logits.length; i++) {
        if (logits[i] < threshold) {
          logits[i] = Float.NEGATIVE_INFINITY;
        }
      }
    };
  }

  /**
   * Keeps the smallest set of most likely tokens whose probabilities sum to at least {@code p}, taking
   * equally likely tokens lower id first; the most likely token always stays.
   */
  public static LogitsProcessor topP(double p) {
    return (logits, history) -> {
      if (p >= 1) {
        return;
      }
      double[] probabilities = Softmax.of(logits);
      // Sort candidates most likely first with primitive keys: (float bits of p) << 32 | (MAX - id).
      // Positive floats order like their bits, and among equal ones the lower id sorts last.
      long[] keys = new long[logits.length];
      int candidates = 0;
      for (int i = 0; i < logits.length; i++) {
        if (probabilities[i] > 0) {
          keys[candidates++] = ((long) Float.floatToRawIntBits((float) probabilities[i]) << 32) | (Integer.MAX_VALUE - i);
        }
      }
      Arrays.sort(keys, 0, candidates);
      double cumulative = 0;
      int next = candidates - 1;
      while (next >= 0 && (next == candidates - 1 || cumulative < p)) {
        cumulative += probabilities[id(keys[next])];
        next--;
      }
      for (int i = next; i >= 0; i--) {
        logits[id(keys[i])] = Float.NEGATIVE_INFINITY;
      }
    };
  }

  private static int id(long key) {
    return Integer.MAX_VALUE - (int) key;
  }

  /** Excludes tokens whose probability is below {@code minP} times the most likely token's. */
  public static LogitsProcessor minP(double minP) {
    return (logits, history) -> {
      double[] probabilities = Softmax.of(logits);
      double max = Arrays.stream(probabilities).max().orElse(0);
      for (int i = 0; i < logits.length; i++) {
        if (probabilities[i] < minP * max) {
          logits[i] = Float.NEGATIVE_INFINITY;
        }
      }
    };
  }
}
