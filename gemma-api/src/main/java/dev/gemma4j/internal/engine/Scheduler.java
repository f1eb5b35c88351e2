package dev.gemma4j.internal.engine;

import dev.gemma4j.engine.EngineOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans each step of continuous batching, and owns all the state that takes: which requests wait and
 * which run, where each one's computation stands, and its KV-cache blocks.
 *
 * <p>Requests wait in arrival order and are admitted while the first chunk of the head fits in the free
 * blocks (after reusing the blocks of a cached prompt prefix). Each step runs the next token of every
 * decoding sequence and fills the rest of the token budget with prompt chunks, so a long prompt is
 * prefilled in pieces alongside the others. A running sequence that cannot grow preempts the most
 * recently admitted one: its blocks are freed and it goes back to the head of the queue, to be recomputed
 * from its tokens later. Used by the engine thread only, except {@link #waitingCount()}.
 */
final class Scheduler {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  /** A request's scheduling state. */
  private static final class SequenceState {
    final Request request;
    final SequenceBlocks blocks;
    /** Positions whose keys and values are in the cache. */
    int computed;
    /** Whether it was admitted before (a preempted sequence is recomputed, not counted again). */
    boolean admittedBefore;
    /** Prompt positions served from the prefix cache at the first admission. */
    int cachedPromptTokens;

    /** Per group, the blocks the runner was last told of; null before the first step. */
    int @Nullable [] sentBlocks;

    SequenceState(Request request, SequenceBlocks blocks) {
      this.request = request;
      this.blocks = blocks;
    }

    int pending() {
      return request.size() - computed;
    }
  }

  private final KvBlockManager blocks;
  private final int maxBatchSize;
  private final int maxBatchTokens;
  private final Deque<SequenceState> waiting = new ArrayDeque<>();
  private final List<SequenceState> running = new ArrayList<>();
  private final Map<Request, SequenceState> states = new IdentityHashMap<>();
  /** Requests removed since the last plan whose tables a runner holds. */
  private final List<Long> finished = new ArrayList<>();
  private volatile int waitingCount;
  private long preemptions;
  private @Nullable SequenceState blockedHead;
  private long blockedAtVersion;

  Scheduler(KvBlockManager blocks, EngineOptions options) {
    this.blocks = blocks;
    // An engine opened by LocalEngine.open has sized the batch; one built by hand takes the default.
    this.maxBatchSize = options.maxBatchSize() > 0 ? options.maxBatchSize() : EngineOptions.DEFAULT_MAX_BATCH_SIZE;
    this.maxBatchTokens = options.maxBatchTokens();
  }

  /** Queues a request at the end of the waiting line. */
  void add(Request request) {
    SequenceState state = new SequenceState(request, blocks.newSequence());
    states.put(request, state);
    waiting.addLast(state);
    waitingCount = waiting.size();
  }

  /** Requests admitted or waiting. */
  List<Request> requests() {
    List<Request> all = new ArrayList<>(states.size());
    running.forEach(s -> all.add(s.request));
    waiting.forEach(s -> all.add(s.request));
    return all;
  }

  boolean hasWork() {
    return !states.isEmpty();
  }

  int runningCount() {
    return running.size();
  }

  /** Requests waiting for admission; readable from any thread. */
  int waitingCount() {
    return waitingCount;
  }

  long preemptions() {
    return preemptions;
  }

  /** Prompt positions served from the prefix cache when {@code request} was first admitted. */
  int cachedPromptTokens(Request request) {
    SequenceState state = states.get(request);
    return state == null ? 0 : state.cachedPromptTokens;
  }

  /** Plans the next step: admits what fits, reserves blocks (preempting when short) and chunks prompts. */
  StepPlan schedule() {
    admit();
    List<ScheduledChunk> chunks = new ArrayList<>();
    List<Request> requests = new ArrayList<>();
    List<StepPlan.Rejection> rejected = new ArrayList<>();
    long decoding = running.stream().filter(s -> s.pending() == 1).count();
    int prefillBudget = (int) Math.max(1, maxBatchTokens - decoding);
    int rows = 0;
    for (int i = 0; i < running.size(); i++) {
      SequenceState s = running.get(i);
      int pending = s.pending();
      int count = pending == 1 ? 1 : Math.min(pending, prefillBudget);
      if (count == 0) {
        continue;
      }
      if (!reserve(s, count, rejected)) {
        if (!running.contains(s)) {
          i--; // s itself was preempted or rejected
        }
        continue;
      }
      if (count > 1 || s.computed < s.request.promptLength()) {
        prefillBudget -= count;
      }
      int end = s.computed + count;
      Request request = s.request;
      ScheduledChunk.Sample sample = count < pending ? null : new ScheduledChunk.Sample(request.samplingMode(),
          request.samplingMode() == SamplingMode.DEVICE_DRAW ? request.nextDraw() : null);
      chunks.add(new ScheduledChunk(
          request.id(), request.tokens(s.computed, count), s.computed, rows, tableChange(s, end), sample));
      requests.add(request);
      rows += count;
    }
    waitingCount = waiting.size();
    List<Long> done = List.copyOf(finished);
    finished.clear();
    return new StepPlan(chunks, requests, rejected, done);
  }

  /** Admits waiting sequences while the first chunk of each fits in the free blocks. */
  private void admit() {
    while (!waiting.isEmpty() && running.size() < maxBatchSize) {
      SequenceState s = waiting.peek();
      if (s == blockedHead && blocks.version() == blockedAtVersion) {
        return; // nothing came back since it last did not fit
      }
      s.computed = blocks.reusePrefix(s.blocks, s.request.tokens());
      int firstChunk = Math.min(s.pending(), maxBatchTokens);
      if (!blocks.canGrow(s.blocks, s.computed + firstChunk)) {
        blocks.free(s.blocks);
        s.computed = 0;
        blockedHead = s;
        blockedAtVersion = blocks.version();
        return; // wait for running sequences to finish
      }
      blockedHead = null;
      if (!s.admittedBefore) {
        s.cachedPromptTokens = s.computed;
        blocks.countPrompt(s.request.promptLength(), s.computed);
        s.admittedBefore = true;
      }
      running.add(waiting.poll());
    }
  }

  /**
   * Grows {@code s}'s block tables for {@code count} more positions, preempting the most recently
   * admitted sequences (possibly {@code s} itself) while blocks are short. False when {@code s} was
   * preempted, or rejected because it cannot fit even alone.
   */
  private boolean reserve(SequenceState s, int count, List<StepPlan.Rejection> rejected) {
    while (!blocks.grow(s.blocks, s.computed + count)) {
      SequenceState victim = running.getLast();
      if (victim == s && running.size() == 1) {
        remove(s.request);
        rejected.add(new StepPlan.Rejection(s.request,
            "the KV cache (" + blocks.capacity() + " positions) cannot hold"
                + " this sequence even alone; give the cache more room (EngineOptions.kvCacheTokens or"
                + " kvCacheMemoryFraction) or lower maxNewTokens"));
        return false;
      }
      preempt(victim);
      if (victim == s) {
        return false;
      }
    }
    return true;
  }

  /** What changed in {@code s}'s tables since the runner last saw them, now that they cover {@code positions}. */
  private BlockTableChange tableChange(SequenceState s, int positions) {
    int groups = blocks.pools().size();
    boolean restart = s.sentBlocks == null;
    if (restart) {
      s.sentBlocks = new int[groups];
    }
    int covering = blocks.blocksFor(positions);
    int[][] appended = new int[groups][];
    int[] released = new int[groups];
    for (int g = 0; g < groups; g++) {
      appended[g] = blocks.tableSlice(s.blocks, g, s.sentBlocks[g], positions);
      released[g] = Math.min(s.blocks.released[g], covering);
      s.sentBlocks[g] = covering;
    }
    return new BlockTableChange(restart, appended, released);
  }

  private void preempt(SequenceState victim) {
    running.remove(victim);
    blocks.free(victim.blocks);
    victim.computed = 0;
    victim.sentBlocks = null; // its blocks are gone: the next step that runs it restarts its tables
    waiting.addFirst(victim);
    preemptions++;
    LOG.debug("preempted a sequence of {} tokens for lack of KV-cache blocks", victim.request.size());
  }

  /**
   * After the step ran and its new tokens were appended: advances every chunk's computed positions,
   * registers newly filled blocks in the prefix cache and releases sliding blocks out of the window.
   */
  void completeStep(StepPlan plan) {
    for (int i = 0; i < plan.chunks().size(); i++) {
      ScheduledChunk chunk = plan.chunks().get(i);
      SequenceState s = states.get(plan.requests().get(i));
      if (s == null) {
        continue; // finished or failed during output processing: its blocks are already free
      }
      s.computed = chunk.contextLength();
      blocks.afterStep(s.blocks, s.request.tokenArray(), s.computed);
    }
  }

  /** Removes a finished, cancelled or failed request and frees its blocks; does nothing if unknown. */
  void remove(Request request) {
    SequenceState s = states.remove(request);
    if (s == null) {
      return;
    }
    if (s.sentBlocks != null) {
      finished.add(request.id());
    }
    running.remove(s);
    waiting.remove(s);
    if (blockedHead == s) {
      blockedHead = null;
    }
    blocks.free(s.blocks);
    waitingCount = waiting.size();
  }
}
