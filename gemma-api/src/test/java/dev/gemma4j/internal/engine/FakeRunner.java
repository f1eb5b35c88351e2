package dev.gemma4j.internal.engine;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.sampling.Samplers;
import dev.gemma4j.engine.EngineInfo;
import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.engine.MemorySnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A model runner without a model: the next token of a sequence is a fixed function of its last token and
 * length, so every request's output depends on its prompt only, whatever it is batched with. Records
 * every plan, and can be told to fail a step or to hand back non-finite logits.
 */
final class FakeRunner implements ModelRunner {
  static final ModelConfig CONFIG = ModelConfig.load(TestFixtures.path("tiny-gemma2").resolve("config.json"));
  static final int VOCAB = CONFIG.vocabSize();

  final List<List<ScheduledChunk>> plans = Collections.synchronizedList(new ArrayList<>());
  /** Returns what to throw for a plan, or null to run it. */
  volatile Function<List<ScheduledChunk>, Throwable> failure = chunks -> null;
  volatile boolean nonFinite;
  volatile boolean closed;
  /** Milliseconds each step takes: long generations then stay running while a test acts on them. */
  volatile long stepMillis;
  /** When set, every step first takes a permit: a test releases steps one by one. */
  volatile java.util.concurrent.@org.jspecify.annotations.Nullable Semaphore gate;

  /** The token this fake model chooses after {@code tokens[0 .. size)}. */
  static int next(int[] tokens, int size) {
    return next(tokens[size - 1], size);
  }

  /** The fake model's next token: from the last token and the context length only, as a chunk gives them. */
  static int next(int lastToken, int size) {
    return 3 + (lastToken * 7 + size) % (VOCAB - 3);
  }

  @Override
  public int vocabSize() {
    return VOCAB;
  }

  @Override
  public StepOutput execute(List<ScheduledChunk> plan, List<Long> finished) {
    java.util.concurrent.Semaphore g = gate;
    if (g != null) {
      g.acquireUninterruptibly();
    }
    if (stepMillis > 0) {
      try {
        Thread.sleep(stepMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    plans.add(plan);
    Throwable t = failure.apply(plan);
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    int n = plan.size();
    int[] greedy = new int[n];
    float[][] logits = new float[n][];
    for (int i = 0; i < n; i++) {
      ScheduledChunk chunk = plan.get(i);
      greedy[i] = -1;
      if (!chunk.samples()) {
        continue;
      }
      int token = next(chunk.tokens()[chunk.count() - 1], chunk.contextLength());
      greedy[i] = nonFinite ? -1 : token;
      if (chunk.sample().mode() == SamplingMode.HOST_LOGITS) {
        float[] row = new float[VOCAB];
        row[token] = 10;
        if (nonFinite) {
          row[5] = Float.NaN;
        }
        logits[i] = row;
      }
    }
    return new StepOutput(greedy, logits);
  }

  @Override
  public void close() {
    closed = true;
  }

  /** The steps in which {@code request} ran. */
  List<Integer> stepsOf(Request request) {
    List<Integer> steps = new ArrayList<>();
    synchronized (plans) {
      for (int s = 0; s < plans.size(); s++) {
        for (ScheduledChunk c : plans.get(s)) {
          if (c.requestId() == request.id()) {
            steps.add(s);
          }
        }
      }
    }
    return steps;
  }

  /** What the fake model generates greedily after {@code prompt}. */
  static int[] expected(int[] prompt, int newTokens) {
    int[] all = java.util.Arrays.copyOf(prompt, prompt.length + newTokens);
    for (int i = prompt.length; i < all.length; i++) {
      all[i] = next(all, i);
    }
    return java.util.Arrays.copyOfRange(all, prompt.length, all.length);
  }

  /** An engine over this runner with blocks of 4 and the given options. */
  LocalEngine engine(EngineOptions options) {
    EngineOptions resolved = options.withDefaultBlockSize(4);
    int blocks = (resolved.kvCacheTokens() > 0 ? resolved.kvCacheTokens() : 4096) / resolved.blockSize();
    KvBlockManager manager = KvBlockManagerTest.fullAndSliding(blocks, blocks, resolved.blockSize(), CONFIG.slidingWindow());
    EngineInfo info = new EngineInfo("fake", null, CONFIG, "test", "fake", "no device", GenerationConfig.defaults(), 0);
    return new LocalEngine(this, CONFIG, null, Set.of(1), PROBE, resolved, manager, 0, info, List.of());
  }

  private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

  /** A request as the engine makes it, delivering on the calling thread. */
  static Request request(int[] prompt, GenerationConfig config, Consumer<TokenEvent> listener) {
    Executor direct = Runnable::run;
    return new Request(
        IDS.incrementAndGet(), prompt, config, Set.of(), Samplers.forConfig(config), SamplingMode.of(config, false), null,
        null, CONFIG.maxPositions(), listener, direct);
  }

  static final MemoryProbe PROBE =
      new MemoryProbe() {
        @Override
        public MemorySnapshot snapshot() {
          return new MemorySnapshot("none", 1L << 30, 1L << 29, 1 << 20, 1 << 20, 0, 0, 0);
        }

        @Override
        public void resetPeak() {}
      };
}
