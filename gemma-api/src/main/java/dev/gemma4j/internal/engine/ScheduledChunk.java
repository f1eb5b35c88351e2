package dev.gemma4j.internal.engine;

/**
 * One sequence's part of a step: the tokens at positions {@code [start, start + count)} (a prompt chunk,
 * or the one new token of a decoding sequence), its block tables covering {@code [0, start + count)},
 * where its rows begin in the batch, and whether the step ends its pending tokens so its last row's
 * logits choose the next token.
 *
 * @param request the request
 * @param start position of the first token
 * @param count tokens in the chunk
 * @param queryStart first row of the chunk in the step's batch
 * @param tables per KV-cache group, the blocks of positions {@code [0, start + count)}, -1 where a sliding
 *     group released one
 * @param sample whether the step samples the next token from this chunk's last row
 */
record ScheduledChunk(
    Request request, int start, int count, int queryStart, int[][] tables, boolean sample) {

  /** The context length once this chunk is in the cache. */
  int contextLength() {
    return start + count;
  }

  /** The chunk's token ids. */
  int[] tokens() {
    return request.tokens(start, count);
  }

  /** The positions of the chunk's tokens. */
  int[] positions() {
    int[] positions = new int[count];
    for (int i = 0; i < count; i++) {
      positions[i] = start + i;
    }
    return positions;
  }
}
