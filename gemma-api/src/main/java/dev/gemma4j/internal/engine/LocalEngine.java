package dev.gemma4j.internal.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.DeviceCounters;
import dev.gemma4j.engine.EngineInfo;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.engine.KvCacheGroupStats;
import dev.gemma4j.internal.grammar.GrammarMatcher;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.sampling.Samplers;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.BackendProvider;
import dev.gemma4j.spi.Backends;
import dev.gemma4j.spi.Engine;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of a model loaded in this process: continuous batching over a paged KV cache. One engine
 * thread loops: take new requests, end those cancelled or timed out, let the {@link Scheduler} plan a
 * step, let the {@link ModelRunner} execute it, let the {@link OutputProcessor} turn the result into
 * tokens, and hand tokens and results to each request's delivery, which runs listeners on threads of their
 * own. Its lifecycle is an {@link EngineLifecycle}: running, then closed or failed with a cause.
 */
public final class LocalEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(LocalEngine.class);
  /** How long the engine sleeps when requests wait for blocks and none can run (cannot normally happen). */
  private static final long STALLED_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final ModelRunner runner;
  private final ModelConfig config;
  private final @Nullable GemmaTokenizer tokenizer;
  private final Constraints constraints;
  private final Set<Integer> eosIds;
  private final MemoryProbe memoryProbe;
  private final EngineOptions options;
  private final KvBlockManager blocks;
  private final long kvCacheBytes;
  private final java.util.concurrent.atomic.AtomicLong requestIds = new java.util.concurrent.atomic.AtomicLong();
  private final Scheduler scheduler;
  private final OutputProcessor outputs;
  private final EngineLifecycle lifecycle;
  private final EngineInfo info;
  private final List<AutoCloseable> resources;
  private final ExecutorService delivery;
  private final Thread thread;
  private volatile EngineStats stats;
  private long steps;
  private long decodeSteps;
  private DeviceCounters decodeCounters = DeviceCounters.NONE;

  /**
   * Starts an engine over a runner.
   *
   * @param runner executes steps; owns the KV cache that {@code blocks} describes
   * @param options resolved sizes (block size set)
   * @param blocks the block bookkeeping of the runner's KV cache
   * @param kvCacheBytes bytes of the runner's KV cache
   * @param resources closed, in order, after the runner when the engine stops
   */
  LocalEngine(
      ModelRunner runner,
      ModelConfig config,
      @Nullable GemmaTokenizer tokenizer,
      Set<Integer> eosIds,
      MemoryProbe memoryProbe,
      EngineOptions options,
      KvBlockManager blocks,
      long kvCacheBytes,
      EngineInfo info,
      List<AutoCloseable> resources) {
    this.runner = runner;
    this.config = config;
    this.tokenizer = tokenizer;
    this.constraints = new Constraints(tokenizer);
    this.eosIds = Set.copyOf(eosIds);
    this.memoryProbe = memoryProbe;
    this.options = options;
    this.blocks = blocks;
    this.kvCacheBytes = kvCacheBytes;
    this.scheduler = new Scheduler(blocks, options);
    this.outputs = new OutputProcessor(runner.vocabSize());
    this.lifecycle = new EngineLifecycle(options.queueCapacity());
    this.info = info;
    this.resources = List.copyOf(resources);
    this.delivery = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gemma-delivery-", 0).factory());
    publishStats();
    this.thread = Thread.ofPlatform().name("gemma-engine").daemon().unstarted(this::run);
    thread.start();
  }

  /**
   * Loads a checkpoint folder on the backend the options select, allocates the KV cache and starts the
   * engine.
   *
   * @param model the model as the caller named it (an id or a folder), for {@link EngineInfo#model()}
   * @throws GemmaException when the model cannot be read or loaded; the message says why
   */
  public static LocalEngine open(String model, Path folder, GemmaOptions options) {
    return open(model, folder, options, Backends.discover().select(options.backend()));
  }

  /** Like {@link #open(String, Path, GemmaOptions)}, on the backend of {@code provider}. */
  public static LocalEngine open(String model, Path folder, GemmaOptions options, BackendProvider provider) {
    Checkpoint checkpoint = Checkpoint.open(folder);
    List<AutoCloseable> opened = new ArrayList<>();
    opened.add(checkpoint);
    try {
      // A GGUF file's tokenizer.json lies beside it, in the checkpoint's folder; without one, its vocabulary.
      GemmaTokenizer tokenizer = GemmaTokenizer.presentIn(checkpoint.folder())
          ? GemmaTokenizer.load(checkpoint.folder())
          : checkpoint.ggufMetadata().filter(m -> m.containsKey("tokenizer.ggml.tokens"))
              .map(m -> GemmaTokenizer.fromGguf(m, folder)).orElse(null);
      if (tokenizer != null) {
        opened.addFirst(tokenizer);
      }
      Backend backend =
          provider.open(new BackendOptions(
              Objects.requireNonNullElseGet(options.precision(), provider::defaultPrecision),
              options.resolvedDeviceIndex(), options.threads()));
      opened.addFirst(backend);
      ModelConfig config = checkpoint.config();
      long weightBytes = backend.ops().weightBytesFor(checkpoint, options.quantize());
      long freeBeforeLoad = backend.memoryProbe().snapshot().freeBytes();
      boolean automaticBatch = options.engine().maxBatchSize() == 0;
      EngineOptions engineOptions = BatchSizing.forDevice(
          options.engine().withDefaultBlockSize(backend.preferredBlockSize()), backend, config,
          freeBeforeLoad - weightBytes);
      long stepBytes = backend.ops().stepBytesFor(config, engineOptions);
      int kvBytesPerElement = backend.ops().kvCacheBytesPerElement();
      KvCacheSpec layout = DecoderModel.kvCacheLayout(config, engineOptions.blockSize());
      MemoryBudget.of(config, engineOptions, weightBytes,
              KvCachePlanner.minimumBytes(layout, config, engineOptions, kvBytesPerElement), stepBytes)
          .check(model, backend.deviceName(), freeBeforeLoad);
      long start = System.nanoTime();
      DecoderModel<?> loaded = DecoderModel.load(checkpoint, backend.ops(), options.quantize());
      opened.addFirst(loaded);
      if (!backend.ops().readsCheckpointAfterLoad()) {
        checkpoint.close(); // the weights were copied: unmapping the files frees their pages
      }
      LOG.info("loaded {} on {} in {} ms", config.summary(), backend.deviceName(), (System.nanoTime() - start) / 1_000_000);
      // A step's temporaries are reserved first: the cache takes its share of what is left.
      KvCacheSpec spec = KvCachePlanner.size(layout, config, engineOptions,
          Math.max(0, backend.memoryProbe().snapshot().freeBytes() - stepBytes), kvBytesPerElement);
      engineOptions = BatchSizing.withinCache(engineOptions, automaticBatch, spec);
      KvCache cache = loaded.allocateKvCache(spec);
      opened.addFirst(cache);
      LOG.info(
          "KV cache: {} blocks of {} tokens (per group; window 0 is full attention: {}), {} MiB; {} MiB reserved for"
              + " a step's temporaries; at most {} sequences a step{}",
          spec.groups().stream().map(KvCacheGroup::blocks).toList(), spec.blockSize(),
          spec.groups().stream().map(KvCacheGroup::window).toList(), cache.bytes() >> 20, stepBytes >> 20,
          engineOptions.maxBatchSize(), automaticBatch ? " (sized for the device)" : "");
      Set<Integer> eos = new LinkedHashSet<>(checkpoint.generationDefaults().eosIds());
      eos.addAll(config.eosIds());
      EngineInfo info =
          new EngineInfo(
              model,
              folder,
              config,
              ModelRevision.of(folder, checkpoint),
              backend.name(),
              backend.deviceName(),
              GenerationConfig.from(checkpoint.generationDefaults()).build(),
              backend.memoryProbe().snapshot().usedBytes());
      KvBlockManager blocks = new KvBlockManager(spec);
      Supplier<Optional<Path>> changed =
          backend.ops().readsCheckpointAfterLoad() ? checkpoint::changedFile : Optional::empty;
      ModelRunner runner = new GemmaModelRunner(loaded, cache, changed, backend::counters);
      List<AutoCloseable> after = new ArrayList<>(opened);
      after.remove(cache);
      after.remove(loaded);
      return new LocalEngine(
          runner, config, tokenizer, eos, backend.memoryProbe(), engineOptions, blocks, cache.bytes(), info, after);
    } catch (RuntimeException | Error e) {
      closeAll(opened, e);
      throw e;
    }
  }

  private static void closeAll(List<AutoCloseable> resources, @Nullable Throwable primary) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        if (primary != null) {
          primary.addSuppressed(e);
        } else {
          LOG.warn("closing {} failed", r, e);
        }
      }
    }
  }

  // ---- submission (any thread) ----

  @Override
  public GenerationHandle submit(Prompt prompt, GenerationConfig request, Consumer<TokenEvent> listener) {
    return submit(encode(prompt), request, listener);
  }

  @Override
  public GenerationHandle submit(int[] promptIds, GenerationConfig request, Consumer<TokenEvent> listener) {
    validatePrompt(promptIds);
    Set<Integer> stopIds = new LinkedHashSet<>(request.stopTokenIds());
    if (!request.ignoreEos()) {
      stopIds.addAll(eosIds);
    }
    Request r =
        new Request(
            requestIds.incrementAndGet(),
            promptIds,
            request,
            stopIds,
            Samplers.forConfig(request),
            SamplingMode.of(request, runner.samplesOnDevice()),
            request.responseFormat().constrains() ? new GrammarMatcher(constraints.get(request.responseFormat()), stopIds) : null,
            tokenizer != null ? tokenizer.newStreamDecoder(true) : null,
            config.maxPositions(),
            listener,
            delivery);
    checkFits(r);
    lifecycle.submit(r, scheduler.waitingCount());
    return r;
  }

  /** The token ids a prompt runs as; see {@code Gemma.encode}. */
  public int[] encode(Prompt prompt) {
    int[] ids = prompt.tokenIds();
    if (ids != null) {
      return ids;
    }
    if (tokenizer == null) {
      throw new GemmaException(
          info.folder() + " has no tokenizer.json, so text prompts cannot be encoded; pass token ids"
              + " (Prompt.ids) or add the model's tokenizer.json to the folder");
    }
    return tokenizer.encode(prompt);
  }

  /** A request that could not finish even alone in the cache is rejected up front. */
  private void checkFits(Request r) {
    int positions = r.maxPositions();
    List<BlockPool> pools = blocks.pools();
    for (int g = 0; g < pools.size(); g++) {
      KvCacheGroup group = blocks.spec().groups().get(g);
      if (KvCachePlanner.blocksNeeded(group, positions, options) > pools.get(g).blockCount()) {
        throw new GemmaException(
            "a request of " + r.promptLength() + " prompt tokens and up to " + r.config().maxNewTokens()
                + " new tokens needs " + positions + " KV-cache positions but the cache holds "
                + blocks.capacity() + "; lower maxNewTokens or give the cache more room"
                + " (EngineOptions.kvCacheTokens or kvCacheMemoryFraction)");
      }
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

  // ---- the engine thread ----

  private void run() {
    Throwable failure = null;
    try {
      while (lifecycle.awaitWork(scheduler.hasWork(), scheduler::add)) {
        if (!step()) {
          TimeUnit.NANOSECONDS.sleep(STALLED_WAIT_NANOS); // requests wait and none can run: do not spin
        }
      }
    } catch (InterruptedException e) {
      LOG.warn("the engine thread was interrupted; ending every request");
    } catch (Throwable t) {
      failure = t;
      LOG.error("the engine thread failed; failing every request", t);
    } finally {
      shutDown(failure);
    }
  }

  /** Runs one step; false when nothing could run although requests exist. */
  private boolean step() {
    List<Runnable> completions = new ArrayList<>();
    long now = System.nanoTime();
    for (Request r : scheduler.requests()) {
      FinishReason reason = r.endRequested(now);
      if (reason != null) {
        completions.add(end(r, reason));
      }
    }
    StepPlan plan = scheduler.schedule();
    for (StepPlan.Rejection rejection : plan.rejected()) {
      completions.add(() -> rejection.request().fail(new GemmaException(rejection.reason())));
    }
    if (!plan.isEmpty()) {
      execute(plan, completions);
    }
    publishStats();
    completions.forEach(Runnable::run);
    return !plan.isEmpty() || !completions.isEmpty() || !scheduler.hasWork();
  }

  private void execute(StepPlan plan, List<Runnable> completions) {
    ModelRunner.StepOutput output;
    try {
      boolean decode = plan.chunks().stream().allMatch(c -> c.count() == 1);
      DeviceCounters before = decode ? runner.counters() : DeviceCounters.NONE;
      output = runner.execute(plan.chunks(), plan.finished());
      steps++;
      if (decode) {
        decodeSteps++;
        decodeCounters = decodeCounters.plus(runner.counters().minus(before));
      }
    } catch (RuntimeException e) {
      // Every request of the step gets the failure as its exception: log it only for those who look.
      LOG.debug("a forward step failed; failing its {} requests", plan.chunks().size(), e);
      GemmaException error = new GemmaException("the forward step failed: " + e.getMessage(), e);
      for (Request request : plan.requests()) {
        scheduler.remove(request);
        completions.add(() -> request.fail(error));
      }
      return;
    }
    List<OutputProcessor.Ended> ended = outputs.process(plan, output);
    scheduler.completeStep(plan);
    for (OutputProcessor.Ended e : ended) {
      switch (e) {
        case OutputProcessor.Finished f -> completions.add(end(f.request(), f.reason()));
        case OutputProcessor.Failed f -> {
          scheduler.remove(f.request());
          completions.add(() -> f.request().fail(f.error()));
        }
      }
    }
  }

  /** Removes a request from the scheduler now; returns the completion to run once stats are published. */
  private Runnable end(Request r, FinishReason reason) {
    int cached = scheduler.cachedPromptTokens(r);
    scheduler.remove(r);
    return () -> r.finish(reason, info.memoryAfterLoadBytes(), memoryProbe.snapshot().peakBytes(), cached);
  }

  /** Ends every request (cancelled, or failed with the engine's failure) and frees the resources. */
  private void shutDown(@Nullable Throwable failure) {
    List<Request> left = new ArrayList<>(lifecycle.stop(failure));
    left.addAll(scheduler.requests());
    List<Runnable> completions = new ArrayList<>();
    GemmaException error = failure != null ? lifecycle.failureFor() : null;
    for (Request r : left) {
      if (error != null) {
        scheduler.remove(r);
        completions.add(() -> r.fail(error));
      } else {
        completions.add(end(r, FinishReason.CANCELLED));
      }
    }
    publishStats();
    completions.forEach(Runnable::run);
    List<AutoCloseable> all = new ArrayList<>();
    all.add(runner);
    all.addAll(resources);
    closeAll(all, null);
    delivery.shutdown();
  }

  private void publishStats() {
    List<KvCacheGroupStats> groups = new ArrayList<>();
    List<BlockPool> pools = blocks.pools();
    for (int g = 0; g < pools.size(); g++) {
      BlockPool pool = pools.get(g);
      groups.add(new KvCacheGroupStats(blocks.window(g), blocks.spec().layersIn(g), pool.blockCount(), pool.inUse(),
          pool.peakInUse()));
    }
    stats =
        new EngineStats(
            blocks.blockSize(),
            groups,
            kvCacheBytes,
            scheduler.runningCount(),
            scheduler.waitingCount(),
            blocks.prefixHitRate(),
            scheduler.preemptions(),
            steps,
            decodeSteps,
            decodeCounters);
  }

  // ---- information ----

  /** The sizes this engine runs with, the block size and the batch resolved. */
  public EngineOptions engineOptions() {
    return options;
  }

  @Override
  public EngineInfo info() {
    return info;
  }

  /** The engine and its KV cache as of the last step; safe to read from any thread. */
  @Override
  public EngineStats stats() {
    return stats;
  }

  @Override
  public boolean isOpen() {
    return lifecycle.state() == EngineLifecycle.State.RUNNING;
  }

  @Override
  public Optional<GemmaTokenizer> tokenizer() {
    return Optional.ofNullable(tokenizer);
  }

  @Override
  public MemoryProbe memoryProbe() {
    return memoryProbe;
  }

  /**
   * Stops the engine: requests in flight and queued end with {@link FinishReason#CANCELLED} (their
   * futures complete normally with what they have), later submissions fail with a
   * {@link GemmaException}, and the model, KV cache, backend and checkpoint are freed. Waits for the
   * engine thread to finish its current step, except when called from that thread; safe from a token
   * listener and idempotent.
   */
  @Override
  public void close() {
    lifecycle.requestClose();
    if (Thread.currentThread() == thread) {
      return; // the loop ends after this step and frees everything on its way out
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
