package dev.gemma4j.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.TokenEvent;
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
 * The {@link Generator} of a loaded model: one engine thread runs batched forward steps; requests from
 * any thread join the running batch at the next step and leave when they finish. Each step runs every
 * decoding sequence's next token and fills the rest of its token budget with prompt chunks of sequences
 * still prefilling, so long prompts never stall the others.
 */
public final class BatchEngine implements Generator {
  private static final Logger LOG = LoggerFactory.getLogger(BatchEngine.class);

  private final Gemma2Model<?> model;
  private final ModelConfig config;
  private final @Nullable GemmaTokenizer tokenizer;
  private final Set<Integer> eosIds;
  private final MemoryProbe memoryProbe;
  private final EngineOptions options;
  private final KvBlockPool pool;
  private final BlockingQueue<Sequence> queue;
  private final Deque<Sequence> waiting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>();
  private final Thread thread;
  private final long memoryAfterLoad;
  private volatile boolean closed;

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
    this.options = options;
    int slots = kvCacheSlots(options);
    this.pool = new KvBlockPool(slots / options.blockSize(), options.blockSize());
    long bytes = model.allocateKvCache(slots);
    LOG.info("KV cache: {} blocks of {} tokens, {} MiB", pool.blockCount(), options.blockSize(), bytes >> 20);
    this.memoryAfterLoad = memoryProbe.snapshot().usedBytes();
    this.queue = new LinkedBlockingQueue<>(options.queueCapacity());
    this.thread = Thread.ofPlatform().name("gemma-engine").daemon().unstarted(this::run);
    thread.start();
  }

  private int kvCacheSlots(EngineOptions options) {
    long tokens = options.kvCacheTokens();
    if (tokens == 0) {
      long free = memoryProbe.snapshot().freeBytes();
      tokens = (long) (free * options.kvCacheMemoryFraction()) / config.kvBytesPerToken(4);
      long atLeast = Math.min(config.maxPositions(), 2048);
      long atMost = (long) config.maxPositions() * options.maxBatchSize();
      tokens = Math.max(atLeast, Math.min(atMost, tokens));
    }
    long blocks = (tokens + options.blockSize() - 1) / options.blockSize();
    return Math.toIntExact(blocks * options.blockSize());
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
    int blocks = pool.blocksFor(sequence.maxCachedPositions());
    if (blocks > pool.blockCount()) {
      throw new GemmaException(
          "a request of " + promptIds.length + " prompt tokens and up to " + request.maxNewTokens()
              + " new tokens needs " + blocks * pool.blockSize() + " KV-cache positions but the cache holds "
              + pool.blockCount() * pool.blockSize() + "; lower maxNewTokens or give the cache more room"
              + " (kvCacheTokens / kvCacheMemoryFraction)");
    }
    if (!queue.offer(sequence)) {
      throw new GemmaException(
          "the request queue is full (" + options.queueCapacity() + " waiting); retry later or raise"
              + " queueCapacity");
    }
    return sequence;
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
        dropCancelled();
        admit();
        if (!running.isEmpty()) {
          step();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (Sequence s : running) {
        end(s, FinishReason.CANCELLED);
      }
      running.clear();
      queue.drainTo(waiting);
      waiting.forEach(s -> s.finish(FinishReason.CANCELLED, memoryAfterLoad, 0, 0));
      waiting.clear();
    }
  }

  private void dropCancelled() {
    long now = System.nanoTime();
    for (Sequence s : List.copyOf(running)) {
      FinishReason reason = externalEnd(s, now);
      if (reason != null) {
        running.remove(s);
        end(s, reason);
      }
    }
    waiting.removeIf(
        s -> {
          FinishReason reason = externalEnd(s, now);
          if (reason != null) {
            s.finish(reason, memoryAfterLoad, memoryProbe.snapshot().peakBytes(), 0);
          }
          return reason != null;
        });
  }

  private static @Nullable FinishReason externalEnd(Sequence s, long now) {
    if (s.cancelRequested()) {
      return FinishReason.CANCELLED;
    }
    return s.timedOut(now) ? FinishReason.TIMEOUT : null;
  }

  private void admit() {
    while (!waiting.isEmpty() && running.size() < options.maxBatchSize()) {
      Sequence next = waiting.peek();
      List<Integer> blocks = pool.allocate(pool.blocksFor(next.maxCachedPositions()));
      if (blocks.isEmpty()) {
        return;
      }
      next.blocks = blocks;
      running.add(waiting.poll());
    }
  }

  private void step() {
    List<Sequence> members = new ArrayList<>();
    List<SequenceChunk> chunks = new ArrayList<>();
    int budget = options.maxBatchTokens();
    // Decoding sequences first: one token each. Then prompt chunks fill what is left of the budget.
    for (boolean decoding : new boolean[] {true, false}) {
      for (Sequence s : running) {
        boolean isDecoding = s.cachedPositions >= s.promptIds.length;
        if (isDecoding != decoding || budget == 0) {
          continue;
        }
        int count = Math.min(s.pendingTokens(), budget);
        budget -= count;
        members.add(s);
        chunks.add(
            SequenceChunk.sharedSlots(
                s.nextChunk(count), s.cachedPositions, slots(s, s.cachedPositions + count), false));
      }
    }
    List<float[]> logits;
    try {
      logits = model.forward(chunks);
    } catch (RuntimeException e) {
      LOG.error("forward step failed; failing its {} sequences", members.size(), e);
      for (Sequence s : members) {
        running.remove(s);
        pool.release(s.blocks);
        s.fail(new GemmaException("the forward step failed: " + e.getMessage(), e));
      }
      return;
    }
    for (int i = 0; i < members.size(); i++) {
      Sequence s = members.get(i);
      s.cachedPositions += chunks.get(i).tokens().length;
      if (s.pendingTokens() > 0) {
        continue;
      }
      FinishReason reason;
      try {
        reason = s.accept(logits.get(i));
      } catch (RuntimeException e) {
        LOG.warn("a token listener threw; ending its request", e);
        running.remove(s);
        pool.release(s.blocks);
        s.fail(e);
        continue;
      }
      if (reason != null) {
        running.remove(s);
        end(s, reason);
      }
    }
  }

  private int[] slots(Sequence s, int positions) {
    int blockSize = pool.blockSize();
    int[] slots = new int[positions];
    for (int p = 0; p < positions; p++) {
      slots[p] = s.blocks.get(p / blockSize) * blockSize + p % blockSize;
    }
    return slots;
  }

  private void end(Sequence s, FinishReason reason) {
    pool.release(s.blocks);
    s.blocks = List.of();
    s.finish(reason, memoryAfterLoad, memoryProbe.snapshot().peakBytes(), 0);
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
