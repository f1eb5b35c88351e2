package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.FinishReason;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.engine.EngineStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Continuous batching over the paged KV cache: whatever the batch, the cache pressure or the order of
 * arrival, every sequence gets exactly the ids it gets alone, and every block comes back.
 */
@Timeout(300)
class SchedulingTest {
  /** tiny-gemma2: window 8, so sequences cross it; blocks of 4 make window release visible. */
  static final String FIXTURE = "tiny-gemma2";

  record Request(int[] prompt, int newTokens) {}

  static final List<Request> REQUESTS = new ArrayList<>();
  static final List<int[]> ALONE = new ArrayList<>();

  @BeforeAll
  static void referenceRunsOneAtATime() {
    Random random = new Random(7);
    int[] shared = random.ints(23, 3, 512).toArray();
    for (int i = 0; i < 16; i++) {
      int length = 2 + random.nextInt(40);
      int[] prompt = random.ints(length, 3, 512).toArray();
      if (i % 3 == 0) {
        // A third of the prompts share a 24-token prefix, to exercise prefix caching.
        prompt = concat(new int[] {2}, shared, random.ints(1 + random.nextInt(10), 3, 512).toArray());
      }
      prompt[0] = 2;
      REQUESTS.add(new Request(prompt, 4 + random.nextInt(30)));
    }
    try (Gemma gemma = open(EngineOptions.defaults().withKvCacheTokens(4096).withMaxBatchSize(1))) {
      for (Request r : REQUESTS) {
        ALONE.add(ids(gemma.generate(Prompt.ids(r.prompt()), greedy(r.newTokens()))));
      }
    }
  }

  static Gemma open(EngineOptions engine) {
    return Gemma.open(Golden.fixture(FIXTURE), GemmaOptions.builder().backend("cpu").engine(engine).build());
  }

  static GenerationConfig greedy(int newTokens) {
    return GenerationConfig.builder().maxNewTokens(newTokens).ignoreEos(true).build();
  }

  static int[] ids(Generation g) {
    return g.tokenIds().stream().mapToInt(Integer::intValue).toArray();
  }

  static int[] concat(int[]... parts) {
    int n = 0;
    for (int[] p : parts) {
      n += p.length;
    }
    int[] out = new int[n];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Submits every request from its own thread, each after a random delay, and checks the ids. */
  static EngineStats runConcurrently(EngineOptions engine) throws Exception {
    return runConcurrently(engine, 300);
  }

  /** Like {@link #runConcurrently(EngineOptions)} with delays below {@code maxDelayMillis} (0: all at once). */
  static EngineStats runConcurrently(EngineOptions engine, int maxDelayMillis) throws Exception {
    try (Gemma gemma = open(engine);
        ExecutorService clients = Executors.newFixedThreadPool(REQUESTS.size())) {
      Random delays = new Random(11);
      List<CompletableFuture<Generation>> results = new ArrayList<>();
      for (Request r : REQUESTS) {
        long delay = maxDelayMillis == 0 ? 0 : delays.nextInt(maxDelayMillis);
        results.add(
            CompletableFuture.supplyAsync(
                () -> {
                  sleep(delay);
                  return gemma.generate(Prompt.ids(r.prompt()), greedy(r.newTokens()));
                },
                clients));
      }
      for (int i = 0; i < results.size(); i++) {
        Generation g = results.get(i).get(240, TimeUnit.SECONDS);
        assertArrayEquals(ALONE.get(i), ids(g), "request " + i + " differs from its run alone");
      }
      EngineStats stats = gemma.engineStats();
      assertEquals(0, stats.kvCacheGroups().get(0).blocksInUse(), "every full-layer block is returned");
      assertEquals(0, stats.kvCacheGroups().get(1).blocksInUse(), "every sliding-layer block is returned");
      return stats;
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void sixteenConcurrentRequestsGiveTheIdsEachGivesAlone() throws Exception {
    EngineStats stats = runConcurrently(EngineOptions.defaults().withKvCacheTokens(4096).withBlockSize(4));
    assertTrue(stats.kvCacheGroups().get(0).peakBlocksInUse() > 20, "requests overlapped: peak " + stats.kvCacheGroups().get(0).peakBlocksInUse());
    assertTrue(stats.prefixHitRate() > 0, "shared prefixes were reused");
    assertTrue(
        stats.kvCacheGroups().get(1).peakBlocksInUse() < stats.kvCacheGroups().get(0).peakBlocksInUse(),
        "sliding layers release blocks outside the window: " + stats);
  }

  @Test
  void preemptionUnderCachePressureChangesNoOutput() throws Exception {
    // 30 blocks of 4 tokens cannot hold all 16 sequences at once: some are preempted and recomputed.
    EngineStats stats = runConcurrently(EngineOptions.defaults().withKvCacheTokens(120).withBlockSize(4), 0);
    assertTrue(stats.preemptions() > 0, "the pool was small enough to preempt: " + stats);
  }

  @Test
  void smallPrefillChunksChangeNoOutput() throws Exception {
    runConcurrently(EngineOptions.defaults().withKvCacheTokens(4096).withBlockSize(4).withMaxBatchTokens(7));
  }

  @Test
  void evictionOfCachedPrefixesChangesNoOutput() throws Exception {
    try (Gemma gemma = open(EngineOptions.defaults().withKvCacheTokens(64).withBlockSize(4))) {
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < REQUESTS.size(); i++) {
          Request r = REQUESTS.get(i);
          assertArrayEquals(ALONE.get(i), ids(gemma.generate(Prompt.ids(r.prompt()), greedy(r.newTokens()))));
        }
      }
      EngineStats stats = gemma.engineStats();
      assertEquals(16, stats.kvCacheGroups().get(0).blocks());
      assertTrue(stats.prefixHitRate() > 0, "repeated prompts hit the cache between evictions: " + stats);
      assertEquals(0, stats.kvCacheGroups().get(0).blocksInUse());
    }
  }

  @Test
  void goldenIdsHoldWithPrefixReuse() {
    Golden golden = Golden.load(FIXTURE);
    try (Gemma gemma = open(EngineOptions.defaults().withKvCacheTokens(1024).withBlockSize(4))) {
      for (int round = 0; round < 2; round++) {
        for (Golden.Case c : golden.cases()) {
          Generation g = gemma.generate(Prompt.ids(c.inputIds()), greedy(c.greedyNewIds().length));
          assertArrayEquals(c.greedyNewIds(), ids(g));
          if (round == 1) {
            assertTrue(g.stats().cachedPromptTokens() >= (c.inputIds().length - 1) / 4 * 4 - 4, "prompt reused");
          }
        }
      }
    }
  }

  @Test
  void cancelledRequestsReturnTheirBlocks() throws InterruptedException {
    try (Gemma gemma = open(EngineOptions.defaults().withKvCacheTokens(1024).withBlockSize(4))) {
      List<GenerationHandle> handles = new ArrayList<>();
      CountDownLatch started = new CountDownLatch(8);
      for (int i = 0; i < 8; i++) {
        handles.add(gemma.stream(Prompt.ids(REQUESTS.get(i).prompt()), greedy(200), e -> started.countDown()));
      }
      assertTrue(started.await(60, TimeUnit.SECONDS));
      handles.forEach(GenerationHandle::cancel);
      for (GenerationHandle h : handles) {
        assertEquals(FinishReason.CANCELLED, h.result().join().finishReason());
      }
      assertEquals(0, gemma.engineStats().kvCacheGroups().get(0).blocksInUse());
      assertEquals(0, gemma.engineStats().kvCacheGroups().get(1).blocksInUse());
    }
  }

  @Test
  void aFullQueueRejectsWithAClearMessage() {
    try (Gemma gemma = open(EngineOptions.defaults().withKvCacheTokens(1024).withMaxBatchSize(1).withQueueCapacity(2))) {
      List<GenerationHandle> accepted = new ArrayList<>();
      GemmaException e =
          assertThrows(
              GemmaException.class,
              () -> {
                for (int i = 0; i < 50; i++) {
                  accepted.add(gemma.stream(Prompt.ids(2, 5, 6), greedy(200), x -> {}));
                }
              });
      assertTrue(e.getMessage().contains("queue is full"), e.getMessage());
      accepted.forEach(GenerationHandle::cancel);
    }
  }

  @Test
  void aRequestLargerThanTheCacheIsRejectedUpFront() {
    try (Gemma gemma = open(EngineOptions.defaults().withKvCacheTokens(32).withBlockSize(4))) {
      GemmaException e = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.ids(2, 5, 6), greedy(100)));
      assertTrue(e.getMessage().contains("KV-cache positions"), e.getMessage());
    }
  }
}
