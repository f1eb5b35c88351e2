package dev.gemma4j.examples.bench;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.ResponseFormat;
import org.jspecify.annotations.Nullable;
import dev.gemma4j.Prompt;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.engine.MemorySnapshot;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Runs a {@link Workload} against a model: a closed loop that keeps {@code concurrency} requests in
 * flight until {@code requests} are done, each a random prompt of exactly {@code promptTokens} tokens
 * generating exactly {@code newTokens} (end-of-sequence ignored).
 */
public final class ServingBenchmark implements AutoCloseable {
  private final Gemma gemma;
  private final boolean owned;

  private ServingBenchmark(Gemma gemma, boolean owned) {
    this.gemma = gemma;
    this.owned = owned;
  }

  /** Opens the model to benchmark; closing the benchmark closes it. */
  public static ServingBenchmark open(String model, GemmaOptions options) {
    return new ServingBenchmark(Gemma.open(model, options), true);
  }

  /** Benchmarks an already open model, which stays open. */
  public static ServingBenchmark of(Gemma gemma) {
    return new ServingBenchmark(gemma, false);
  }

  /**
   * Runs the workload after a warm-up (one round of {@code concurrency} short requests, unmeasured, so
   * that the kernels of the batch sizes measured are compiled); progress goes to {@code log}.
   */
  public BenchReport.Result run(Workload w, long seed, PrintWriter log) {
    return run(w, seed, log, null);
  }

  /**
   * Runs the workload with every request constrained to {@code format} (sampled at temperature 1, so a
   * random-weight model's output is decided by the constraint), or unconstrained when it is {@code null}.
   * A constrained request ends when its output is complete, so its length varies: compare milliseconds per
   * token, not request rates.
   */
  public BenchReport.Result run(Workload w, long seed, PrintWriter log, @Nullable ResponseFormat format) {
    SplittableRandom random = new SplittableRandom(seed);
    int vocab = gemma.config().vocabSize();
    GenerationConfig warmup = GenerationConfig.builder().maxNewTokens(4).ignoreEos(true).build();
    List<CompletableFuture<Generation>> warming = new ArrayList<>();
    for (int i = 0; i < Math.min(w.concurrency(), w.requests()); i++) {
      warming.add(gemma.submit(Prompt.ids(prompt(random, Math.min(32, w.promptTokens()), vocab)), warmup, e -> {}).result());
    }
    warming.forEach(CompletableFuture::join);
    GenerationConfig config = format == null
        ? GenerationConfig.builder().maxNewTokens(w.newTokens()).ignoreEos(true).build()
        : GenerationConfig.builder().maxNewTokens(w.newTokens()).temperature(1.0).seed(seed).responseFormat(format).build();
    if (format != null) {
      // compiled once per engine; the first request pays it, as a server's first request of a schema does
      long compile = System.nanoTime();
      gemma.submit(Prompt.ids(prompt(random, 8, vocab)), config.toBuilder().maxNewTokens(1).build(), e -> {}).result().join();
      log.printf("response format %s compiled and first step run in %.1f ms%n", format, (System.nanoTime() - compile) / 1e6);
    }
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < w.requests(); i++) {
      prompts.add(prompt(random, w.promptTokens(), vocab));
    }
    log.printf("benchmark %s%s: %d requests, %d at once, %d -> %d tokens, on %s%n", w.name(),
        format == null ? "" : " constrained", w.requests(), w.concurrency(), w.promptTokens(), w.newTokens(),
        gemma.deviceName());
    log.flush();
    gemma.generator().memoryProbe().resetPeak();
    EngineStats before = gemma.engineStats();
    Semaphore inFlight = new Semaphore(w.concurrency());
    List<CompletableFuture<Generation>> results = new ArrayList<>();
    long start = System.nanoTime();
    for (int[] prompt : prompts) {
      inFlight.acquireUninterruptibly();
      CompletableFuture<Generation> result = gemma.submit(Prompt.ids(prompt), config, e -> {}).result();
      results.add(result.whenComplete((g, e) -> inFlight.release()));
    }
    List<Generation> done = results.stream().map(CompletableFuture::join).toList();
    double seconds = (System.nanoTime() - start) / 1e9;
    EngineStats engine = gemma.engineStats();
    MemorySnapshot memory = gemma.memory();
    Workload named = format == null ? w
        : new Workload(w.name() + "+" + format.kind().name().toLowerCase(java.util.Locale.ROOT), w.concurrency(),
            w.requests(), w.promptTokens(), w.newTokens());
    return BenchReport.Result.of(named, gemma, seconds, done, before, engine, memory);
  }

  /** BOS, then random ids outside the control-token range. */
  private static int[] prompt(SplittableRandom random, int length, int vocab) {
    int low = vocab > 1000 ? 108 : 3;
    int[] ids = new int[length];
    ids[0] = 2;
    for (int i = 1; i < length; i++) {
      ids[i] = random.nextInt(low, vocab);
    }
    return ids;
  }

  @Override
  public void close() {
    if (owned) {
      gemma.close();
    }
  }
}
