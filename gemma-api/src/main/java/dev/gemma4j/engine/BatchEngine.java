package dev.gemma4j.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.model.Gemma2Model;
import dev.gemma4j.model.SequenceChunk;
import dev.gemma4j.sampling.Samplers;
import dev.gemma4j.spi.Generator;
import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Generator} of a loaded model: continuous batching over a paged KV cache.
 *
 * <p>One engine thread runs batched forward steps. Requests from any thread wait in a bounded queue and
 * join the running batch at the next step; each step runs the next token of every decoding sequence and
 * fills the rest of its token budget with prompt chunks, so long prompts never stall the others. Blocks
 * are allocated as sequences grow; prompts that share a prefix share its blocks. When blocks run out, new
 * requests wait, and if a running sequence cannot grow, the most recently admitted one is preempted: its
 * blocks are freed and it is recomputed later from its tokens, which leaves every other sequence as it
 * was.
 */
public final class BatchEngine implements Generator {
  private static final Logger LOG = LoggerFactory.getLogger(BatchEngine.class);

  private final Gemma2Model<?> model;
  private final ModelConfig config;
  private final @Nullable GemmaTokenizer tokenizer;
  private final Set<Integer> eosIds;
  private final MemoryProbe memoryProbe;
  private final EngineOptions options;
  private final KvCacheManager cache;
  private final long kvCacheBytes;
  private final BlockingQueue<Sequence> queue;
  private final Deque<Sequence> waiting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>();
  private final Thread thread;
  private final long memoryAfterLoad;
  private volatile boolean closed;
  private volatile long preemptions;
  private volatile long steps;

  /**
   * Sizes and allocates the KV cache and starts the engine thread.
   *
   * @param model the loaded model
   * @param tokenizer turns generated ids into text; {@code null} for id-only use
   * @param eosIds the tokens that end generation unless a request ignores them
   * @param memoryProbe the device's memory, for sizing the cache and for statistics
   */
  public BatchEngine(
      Gemma2Model<?> model,
      @Nullable GemmaTokenizer tokenizer,
      Set<Integer> eosIds,
      MemoryProbe memoryProbe,
      EngineOptions options) {
    this.model = model;
    this.config = model.config();
    this.tokenizer = tokenizer;
    this.eosIds = Set.copyOf(eosIds);
    this.memoryProbe = memoryProbe;
    this.options = options.withDefaultBlockSize(16);
    int blockSize = this.options.blockSize();
    KvCacheSizing sizing = KvCacheSizing.of(config, this.options, memoryProbe.snapshot().freeBytes());
    this.cache = new KvCacheManager(sizing.fullBlocks(), sizing.slidingBlocks(), blockSize, config.slidingWindow());
    this.kvCacheBytes = model.allocateKvCache(sizing.fullBlocks() * blockSize, sizing.slidingBlocks() * blockSize);
    LOG.info(
        "KV cache: {} + {} blocks of {} tokens (full / sliding layers), {} MiB",
        sizing.fullBlocks(), sizing.slidingBlocks(), blockSize, kvCacheBytes >> 20);
    this.memoryAfterLoad = memoryProbe.snapshot().usedBytes();
    this.queue = new LinkedBlockingQueue<>(this.options.queueCapacity());
    this.thread = Thread.ofPlatform().name("gemma-engine").daemon().unstarted(this::run);
    thread.start();
  }

  @Override
  public Handle submit(int[] promptIds, GenerationConfig request, Consumer<TokenEvent> listener) {
    if (closed) {
      throw new GemmaException("this model is closed; open it again to generate");
    }
    validatePrompt(promptIds);
    Set<Integer> stopIds = new LinkedHashSet<>(request.stopTokenIds());
    if (!request.ignoreEos()) {
      stopIds.addAll(eosIds);
    }
    Sequence sequence =
        new Sequence(
            promptIds,
            request,
            Samplers.forConfig(request),
            stopIds,
            listener,
            tokenizer != null ? tokenizer.newStreamDecoder(true) : null,
            config.maxPositions());
    checkFits(sequence, promptIds.length, request.maxNewTokens());
    if (!queue.offer(sequence)) {
      throw new GemmaException(
          "the request queue is full (" + options.queueCapacity() + " waiting); retry later or raise"
              + " EngineOptions.queueCapacity");
    }
    return sequence;
  }

  /** A request that could not finish even alone in the cache is rejected up front. */
  private void checkFits(Sequence sequence, int promptTokens, int maxNewTokens) {
    int blockSize = cache.blockSize();
    int positions = sequence.maxCachedPositions();
    int fullNeeded = (positions + blockSize - 1) / blockSize;
    int slidingNeeded = Math.min(fullNeeded, (config.slidingWindow() + options.maxBatchTokens()) / blockSize + 2);
    if (fullNeeded > cache.fullPool().blockCount() || slidingNeeded > cache.slidingPool().blockCount()) {
      throw new GemmaException(
          "a request of " + promptTokens + " prompt tokens and up to " + maxNewTokens + " new tokens needs "
              + positions + " KV-cache positions but the cache holds " + cache.fullPool().blockCount() * blockSize
              + "; lower maxNewTokens or give the cache more room (EngineOptions.kvCacheTokens or"
              + " kvCacheMemoryFraction)");
    }
  }

  private void validatePrompt(int[] promptIds) {
    if (promptIds.length == 0) {
      throw new GemmaException("the prompt is empty; it needs at least the BOS token (" + config.bosId() + ")");
    }
    if (promptIds.length >= config.maxPositions()) {
      throw new GemmaException(
          "the prompt has " + promptIds.length + " tokens but the model's context is "
              + config.maxPositions() + " positions (max_position_embeddings), which must also hold"
              + " the generated tokens; shorten the prompt to at most " + (config.maxPositions() - 1)
              + " tokens");
    }
    for (int id : promptIds) {
      if (id < 0 || id >= config.vocabSize()) {
        throw new GemmaException(
            "prompt token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
      }
    }
  }

  @Override
  public MemoryProbe memoryProbe() {
    return memoryProbe;
  }

  /** The process's memory right after the model and its KV cache were allocated. */
  public long memoryAfterLoad() {
    return memoryAfterLoad;
  }

  /** The engine and its KV cache now; for monitoring (read without locking). */
  public EngineStats stats() {
    BlockPool full = cache.fullPool();
    BlockPool sliding = cache.slidingPool();
    return new EngineStats(
        cache.blockSize(),
        full.blockCount(),
        sliding.blockCount(),
        full.inUse(),
        sliding.inUse(),
        full.peakInUse(),
        sliding.peakInUse(),
        kvCacheBytes,
        running.size(),
        waiting.size() + queue.size(),
        cache.prefixHitRate(),
        preemptions,
        steps);
  }

  private void run() {
    try {
      while (!closed) {
        if (running.isEmpty() && waiting.isEmpty()) {
          Sequence next = queue.poll(100, TimeUnit.MILLISECONDS);
          if (next == null) {
            continue;
          }
          waiting.add(next);
        }
        queue.drainTo(waiting);
        dropEnded();
        admit();
        if (!running.isEmpty()) {
          step();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      LOG.error("the engine thread failed; failing every request", e);
      running.forEach(s -> s.fail(e));
      waiting.forEach(s -> s.fail(e));
      running.clear();
      waiting.clear();
      closed = true;
    } finally {
      for (Sequence s : running) {
        end(s, FinishReason.CANCELLED);
      }
      running.clear();
      queue.drainTo(waiting);
      waiting.forEach(s -> end(s, FinishReason.CANCELLED));
      waiting.clear();
    }
  }

  private void dropEnded() {
    long now = System.nanoTime();
    for (Sequence s : List.copyOf(running)) {
      FinishReason reason = externalEnd(s, now);
      if (reason != null) {
        running.remove(s);
        end(s, reason);
      }
    }
    for (Sequence s : List.copyOf(waiting)) {
      FinishReason reason = externalEnd(s, now);
      if (reason != null) {
        waiting.remove(s);
        end(s, reason);
      }
    }
  }

  private static @Nullable FinishReason externalEnd(Sequence s, long now) {
    if (s.cancelRequested()) {
      return FinishReason.CANCELLED;
    }
    return s.timedOut(now) ? FinishReason.TIMEOUT : null;
  }

  /** Admits waiting sequences while the first chunk of each fits in the free blocks. */
  private void admit() {
    while (!waiting.isEmpty() && running.size() < options.maxBatchSize()) {
      Sequence s = waiting.peek();
      s.cachedPositions = cache.reusePrefix(s.blocks, s.tokens());
      int firstChunk = Math.min(s.pendingTokens(), options.maxBatchTokens());
      if (!cache.canGrow(s.blocks, s.cachedPositions + firstChunk)) {
        cache.free(s.blocks);
        s.cachedPositions = 0;
        return; // wait for running sequences to finish
      }
      if (!s.admittedBefore) {
        s.cachedPromptTokens = s.cachedPositions;
        cache.countPrompt(s.promptIds.length, s.cachedPositions);
        s.admittedBefore = true;
      }
      running.add(waiting.poll());
    }
  }

  private void step() {
    List<Sequence> members = new ArrayList<>();
    List<SequenceChunk> chunks = new ArrayList<>();
    long decoding = running.stream().filter(s -> s.cachedPositions >= s.size() - 1).count();
    int prefillBudget = (int) Math.max(1, options.maxBatchTokens() - decoding);
    for (int i = 0; i < running.size(); i++) {
      Sequence s = running.get(i);
      int count = s.pendingTokens() == 1 ? 1 : Math.min(s.pendingTokens(), prefillBudget);
      if (count == 0) {
        continue;
      }
      if (!reserve(s, count)) {
        if (!running.contains(s)) {
          i--; // s itself was preempted
        }
        continue;
      }
      if (count > 1 || s.cachedPositions < s.promptIds.length) {
        prefillBudget -= count;
      }
      members.add(s);
      int start = s.cachedPositions;
      int end = start + count;
      chunks.add(
          new SequenceChunk(
              s.nextChunk(count),
              start,
              cache.fullSlots(s.blocks, end),
              cache.slidingSlots(s.blocks, start, end),
              cache.slidingBase(start),
              false));
    }
    if (members.isEmpty()) {
      return;
    }
    // When every sequence that samples this step takes the argmax, the device chooses and only ids return.
    boolean argmaxOnly = true;
    for (int i = 0; i < members.size(); i++) {
      Sequence s = members.get(i);
      if (s.pendingTokens() == chunks.get(i).tokens().length && !s.choosesArgmax()) {
        argmaxOnly = false;
      }
    }
    List<float[]> logits = List.of();
    int[] chosen = new int[0];
    try {
      if (argmaxOnly) {
        chosen = model.forwardGreedy(chunks);
      } else {
        logits = model.forward(chunks);
      }
      steps++;
    } catch (RuntimeException e) {
      LOG.error("forward step failed; failing its {} sequences", members.size(), e);
      for (Sequence s : members) {
        running.remove(s);
        cache.free(s.blocks);
        s.fail(new GemmaException("the forward step failed: " + e.getMessage(), e));
      }
      return;
    }
    for (int i = 0; i < members.size(); i++) {
      Sequence s = members.get(i);
      s.cachedPositions += chunks.get(i).tokens().length;
      if (s.pendingTokens() > 0) {
        cache.afterStep(s.blocks, s.tokenArray(), s.cachedPositions);
        continue;
      }
      FinishReason reason;
      try {
        reason = argmaxOnly ? s.accept(chosen[i]) : s.accept(logits.get(i));
      } catch (RuntimeException e) {
        LOG.warn("a token listener threw; ending its request", e);
        running.remove(s);
        cache.free(s.blocks);
        s.fail(e);
        continue;
      }
      cache.afterStep(s.blocks, s.tokenArray(), s.cachedPositions);
      if (reason != null) {
        running.remove(s);
        end(s, reason);
      }
    }
  }

  /**
   * Grows {@code s}'s block tables for {@code count} more positions, preempting the most recently
   * admitted sequences (possibly {@code s} itself) while blocks are short. False when {@code s} was
   * preempted.
   */
  private boolean reserve(Sequence s, int count) {
    while (!cache.grow(s.blocks, s.cachedPositions + count)) {
      Sequence victim = running.getLast();
      if (victim == s && running.size() == 1) {
        running.remove(s);
        cache.free(s.blocks);
        s.fail(new GemmaException(
            "the KV cache (" + cache.fullPool().blockCount() * cache.blockSize() + " positions) cannot hold"
                + " this sequence even alone; give the cache more room"));
        return false;
      }
      preempt(victim);
      if (victim == s) {
        return false;
      }
    }
    return true;
  }

  private void preempt(Sequence victim) {
    running.remove(victim);
    cache.free(victim.blocks);
    victim.cachedPositions = 0;
    waiting.addFirst(victim);
    preemptions++;
    LOG.debug("preempted a sequence of {} tokens for lack of KV-cache blocks", victim.size());
  }

  private void end(Sequence s, FinishReason reason) {
    cache.free(s.blocks);
    s.finish(reason, memoryAfterLoad, memoryProbe.snapshot().peakBytes());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
