package dev.gemma4j.internal.engine;

import dev.gemma4j.spi.SamplingRow;
import org.jspecify.annotations.Nullable;

/**
 * One sequence's part of a step, as plain data (what a second device or a worker process would receive):
 * the request's id, its tokens at positions {@code [start, start + tokens.length)} (a prompt chunk, or the
 * one new token of a decoding sequence), how its block tables changed since its last step (after which they
 * cover {@code [0, start + tokens.length)}), where its rows begin in the batch, and, when the step ends its
 * pending tokens, how its next token is chosen.
 *
 * @param requestId the request's id, unique in its engine
 * @param tokens the chunk's token ids
 * @param start position of the first token
 * @param queryStart first row of the chunk in the step's batch
 * @param tables how the sequence's block tables changed since its last step (see {@link BlockTableMirror})
 * @param sample how the next token is chosen from the chunk's last row, or {@code null} when the chunk does
 *     not reach the end of the request's pending tokens
 */
record ScheduledChunk(
    long requestId, int[] tokens, int start, int queryStart, BlockTableChange tables, @Nullable Sample sample) {

  /**
   * The choice of a chunk's next token: the request's mode and, for a device draw, this step's draw.
   *
   * @param mode decided when the request was submitted
   * @param draw this token's draw when {@code mode} is {@link SamplingMode#DEVICE_DRAW}, else {@code null}
   */
  record Sample(SamplingMode mode, @Nullable SamplingRow draw) {}

  /** Tokens in the chunk. */
  int count() {
    return tokens.length;
  }

  /** Whether the step samples the next token from this chunk's last row. */
  boolean samples() {
    return sample != null;
  }

  /** The context length once this chunk is in the cache. */
  int contextLength() {
    return start + tokens.length;
  }

  /** The positions of the chunk's tokens. */
  int[] positions() {
    int[] positions = new int[tokens.length];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = start + i;
    }
    return positions;
  }
}
