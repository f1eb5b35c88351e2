package dev.gemma4j.internal.engine;

import java.util.List;

/**
 * What the scheduler decided for one step: the chunks to run, and the requests it had to give up on
 * (they cannot fit in the cache even alone), which the engine fails.
 *
 * @param chunks the sequences of the step, in batch order
 * @param rejected requests to fail, with the reason
 */
record StepPlan(List<ScheduledChunk> chunks, List<Rejection> rejected) {

  /** A request the scheduler cannot serve, and why. */
  record Rejection(Request request, String reason) {}

  StepPlan {
    chunks = List.copyOf(chunks);
    rejected = List.copyOf(rejected);
  }

  boolean isEmpty() {
    return chunks.isEmpty();
  }

  /** Tokens (batch rows) of the step. */
  int tokens() {
    return chunks.stream().mapToInt(ScheduledChunk::count).sum();
  }
}
