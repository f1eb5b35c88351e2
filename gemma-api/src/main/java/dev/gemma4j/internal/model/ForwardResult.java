package dev.gemma4j.internal.model;

import dev.gemma4j.TopLogits;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * What a forward step returns: for every logit row of the batch its token chosen on the device (greedy, or
 * drawn; -1 when its logits are not finite) with the top logits a draw asked for, and the whole logits of
 * the rows the batch asked for on the host.
 *
 * @param greedyIds one per {@link ForwardBatch#logitRows()}
 * @param hostLogits row-major {@code [hostRows, vocab]}, in the order of {@link ForwardBatch#hostRows()}
 * @param vocab columns of a row of logits
 * @param topLogits one per logit row: the highest logits a device draw brought back, else {@code null}
 */
public record ForwardResult(int[] greedyIds, float[] hostLogits, int vocab, @Nullable TopLogits[] topLogits) {

  /** A result without device-drawn top logits. */
  public ForwardResult(int[] greedyIds, float[] hostLogits, int vocab) {
    this(greedyIds, hostLogits, vocab, new TopLogits[greedyIds.length]);
  }

  /** Logits of the {@code i}-th host row, as a new array. */
  public float[] hostRow(int i) {
    return Arrays.copyOfRange(hostLogits, i * vocab, (i + 1) * vocab);
  }

  /** Host rows returned. */
  public int hostRowCount() {
    return vocab == 0 ? 0 : hostLogits.length / vocab;
  }
}
