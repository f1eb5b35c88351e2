package dev.gemma4j.internal.engine;

import java.util.List;

/**
 * What the scheduler decided for one step: the chunks to run (plain data, all the model runner sees), the
 * engine's requests they belong to (same order, for the output step), and the requests it had to give up
 * on (they cannot fit in the cache even alone), which the engine fails.
 *
 * @param chunks the sequences of the step, in batch order
 * @param requests the request of each chunk
 * @param rejected requests to fail, with the reason
 * @param finished ids of requests removed since the last plan, whose block tables a runner can forget
 */
record StepPlan(List<ScheduledChunk> chunks, List<Request> requests, List<Rejection> rejected, List<Long> finished) {

  /** A request the scheduler cannot serve, and why. */
  record Rejection(Request request, String reason) {}

  StepPlan {
    chunks = List.copyOf(chunks);
    requests = List.copyOf(requests);
    rejected = List.copyOf(rejected);
    finished = List.copyOf(finished);
    if (chunks.size() != requests.size()) {
      throw new IllegalArgumentException(chunks.size() + " chunks for " + requests.size() + " requests");
    }
  }

  boolean isEmpty() {
    return chunks.isEmpty();
  }

  /** Tokens (batch rows) of the step. */
  int tokens() {
    return chunks.stream().mapToInt(ScheduledChunk::count).sum();
  }
}
