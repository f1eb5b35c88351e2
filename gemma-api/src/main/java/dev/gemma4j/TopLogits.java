package dev.gemma4j;

import java.util.List;

/**
 * The highest logits of one generation step (after final soft-capping, before any sampling transform),
 * best first: what chose the token of that step under greedy decoding.
 *
 * @param ids token ids, best first
 * @param logits their logits
 */
public record TopLogits(List<Integer> ids, List<Float> logits) {

  /** Copies the lists. */
  public TopLogits {
    ids = List.copyOf(ids);
    logits = List.copyOf(logits);
    if (ids.size() != logits.size()) {
      throw new IllegalArgumentException("ids and logits differ in length");
    }
  }

  /** The {@code k} largest entries of one row of logits; ties go to the lower id. */
  public static TopLogits of(float[] row, int k) {
    int n = Math.max(0, Math.min(k, row.length));
    if (n == 0) {
      return new TopLogits(List.of(), List.of());
    }
    int[] best = new int[n];
    int size = 0;
    for (int id = 0; id < row.length; id++) {
      float value = row[id];
      if (size == n && !(value > row[best[n - 1]])) {
        continue;
      }
      int at = size < n ? size++ : n - 1;
      while (at > 0 && value > row[best[at - 1]]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = id;
    }
    Integer[] ids = new Integer[n];
    Float[] logits = new Float[n];
    for (int i = 0; i < n; i++) {
      ids[i] = best[i];
      logits[i] = row[best[i]];
    }
    return new TopLogits(List.of(ids), List.of(logits));
  }
}
