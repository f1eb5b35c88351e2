package dev.gemma4j.sampling;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The standard logits processors, with the semantics of Hugging Face's warpers of the same names.
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
    return (logits, history) -> {
      BitSet seen = new BitSet(logits.length);
      for (int i = 0; i < history.size(); i++) {
        int id = history.get(i);
        if (id >= 0 && id < logits.length && !seen.get(id)) {
          seen.set(id);
          logits[id] = logits[id] < 0 ? logits[id] * p : logits[id] / p;
        }
      }
    };
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
   * Keeps the smallest set of most likely tokens whose probabilities sum to at least {@code p}; the most
   * likely token always stays.
   */
  public static LogitsProcessor topP(double p) {
    return (logits, history) -> {
      if (p >= 1) {
        return;
      }
      double[] probabilities = Softmax.of(logits);
      // Sort candidates by probability with primitive keys: (float bits of p) << 32 | id. Positive
      // floats order like their bits, so the most likely token sorts last.
      long[] keys = new long[logits.length];
      int candidates = 0;
      for (int i = 0; i < logits.length; i++) {
        if (probabilities[i] > 0) {
          keys[candidates++] = ((long) Float.floatToRawIntBits((float) probabilities[i]) << 32) | i;
        }
      }
      Arrays.sort(keys, 0, candidates);
      double cumulative = 0;
      int next = candidates - 1;
      while (next >= 0 && (next == candidates - 1 || cumulative < p)) {
        cumulative += probabilities[(int) keys[next]];
        next--;
      }
      for (int i = next; i >= 0; i--) {
        logits[(int) keys[i]] = Float.NEGATIVE_INFINITY;
      }
    };
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
