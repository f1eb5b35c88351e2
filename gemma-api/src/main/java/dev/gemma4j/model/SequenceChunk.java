package dev.gemma4j.model;

/**
 * One sequence's part of a batched forward step: the tokens to run, where they sit in the sequence, and
 * where the KV cache keeps each position.
 *
 * @param tokens the token ids of this step, at positions {@code [startPosition, startPosition + n)}
 * @param startPosition position of {@code tokens[0]}; 0 is the BOS token
 * @param fullSlots cache slot of every position {@code 0 .. startPosition + n - 1}, for full-attention layers
 * @param slidingSlots cache slot of every position from {@code slidingBase} on, for sliding layers
 * @param slidingBase the first position {@code slidingSlots} covers; at most
 *     {@code startPosition - slidingWindow + 1} (clamped at 0), the oldest key a query of this step sees
 * @param allLogits return logits for every token of the step rather than only the last
 */
public record SequenceChunk(
    int[] tokens,
    int startPosition,
    int[] fullSlots,
    int[] slidingSlots,
    int slidingBase,
    boolean allLogits) {

  /** Validates the slot tables against the positions. */
  public SequenceChunk {
    int end = startPosition + tokens.length;
    if (tokens.length == 0) {
      throw new IllegalArgumentException("a chunk needs at least one token");
    }
    if (fullSlots.length < end) {
      throw new IllegalArgumentException("fullSlots covers " + fullSlots.length + " of " + end + " positions");
    }
    if (slidingBase < 0 || slidingBase > startPosition || slidingBase + slidingSlots.length < end) {
      throw new IllegalArgumentException("slidingSlots does not cover positions " + startPosition + ".." + end);
    }
  }

  /** A chunk whose sliding and full layers share one slot table. */
  public static SequenceChunk sharedSlots(int[] tokens, int startPosition, int[] slots, boolean allLogits) {
    return new SequenceChunk(tokens, startPosition, slots, slots, 0, allLogits);
  }

  /** The position after this chunk's last token. */
  public int endPosition() {
    return startPosition + tokens.length;
  }
}
