package dev.gemma4j.internal.model;

import java.util.Arrays;

/**
 * What a forward step returns: for every logit row of the batch its greedy id (-1 when its logits are
 * not finite), and the whole logits of the rows the batch asked for on the host.
 *
 * @param greedyIds one per {@link ForwardBatch#logitRows()}
 * @param hostLogits row-major {@code [hostRows, vocab]}, in the order of {@link ForwardBatch#hostRows()}
 * @param vocab columns of a row of logits
 */
public record ForwardResult(int[] greedyIds, float[] hostLogits, int vocab) {

  /** Logits of the {@code i}-th host row, as a new array. */
  public float[] hostRow(int i) {
    return Arrays.copyOfRange(hostLogits, i * vocab, (i + 1) * vocab);
  }

  /** Host rows returned. */
  public int hostRowCount() {
    return vocab == 0 ? 0 : hostLogits.length / vocab;
  }
}
