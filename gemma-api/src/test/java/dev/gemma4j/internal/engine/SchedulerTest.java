package dev.gemma4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.engine.EngineOptions;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The scheduler alone, the way vLLM tests {@code schedule()}: requests in, a plan out, no model. Each test
 * drives steps by appending the tokens a sampler would choose and completing the step.
 */
class SchedulerTest {
  /** The tables a runner keeps from the plans' changes; each chunk applied once, in plan order. */
  private final BlockTableMirror mirror = new BlockTableMirror();
  private final java.util.Map<ScheduledChunk, int[][]> applied = new java.util.IdentityHashMap<>();

  private int[][] tables(ScheduledChunk c) {
    return applied.computeIfAbsent(c, k -> mirror.apply(k.requestId(), k.tables()));
  }

  static final int WINDOW = FakeRunner.CONFIG.slidingWindow();

  static Request request(int promptLength, int newTokens) {
    int[] prompt = IntStream.range(0, promptLength).map(i -> i == 0 ? 2 : 3 + (i * 13) % 400).toArray();
    return request(prompt, newTokens);
  }

  static Request request(int[] prompt, int newTokens) {
    return FakeRunner.request(prompt, GenerationConfig.builder().maxNewTokens(newTokens).ignoreEos(true).build(), e -> {});
  }

  static Scheduler scheduler(int blocks, int blockSize, EngineOptions options) {
    return new Scheduler(KvBlockManagerTest.fullAndSliding(blocks, blocks, blockSize, WINDOW), options.withBlockSize(blockSize));
  }

  /** Appends the sampled token of every chunk that samples, then completes the step. */
  static void run(Scheduler scheduler, StepPlan plan) {
    for (int i = 0; i < plan.chunks().size(); i++) {
      Request r = plan.requests().get(i);
      if (plan.chunks().get(i).samples()) {
        r.accept(FakeRunner.next(r.tokenArray(), r.size()));
      }
    }
    scheduler.completeStep(plan);
  }

  @Test
  void aPlanGivesEachSequenceItsRangePositionsBlockTableAndQueryStart() {
    Scheduler scheduler = scheduler(64, 4, EngineOptions.defaults());
    Request a = request(10, 5);
    Request b = request(3, 5);
    scheduler.add(a);
    scheduler.add(b);

    StepPlan first = scheduler.schedule();
    assertEquals(2, first.chunks().size());
    ScheduledChunk ca = first.chunks().get(0);
    ScheduledChunk cb = first.chunks().get(1);
    assertEquals(a, first.requests().get(0));
    assertEquals(a.id(), ca.requestId());
    assertArrayEquals(java.util.Arrays.copyOf(a.tokenArray(), 10), ca.tokens(), "the chunk carries its tokens");
    assertEquals(0, ca.start());
    assertEquals(10, ca.count());
    assertEquals(0, ca.queryStart());
    assertArrayEquals(IntStream.range(0, 10).toArray(), ca.positions());
    assertEquals(3, tables(ca)[0].length, "10 positions in blocks of 4");
    assertEquals(10, cb.queryStart());
    assertEquals(1, tables(cb)[0].length);
    assertTrue(ca.samples() && cb.samples(), "both prompts end in this step");
    assertEquals(13, first.tokens());
    run(scheduler, first);

    StepPlan decode = scheduler.schedule();
    assertEquals(List.of(10, 3), decode.chunks().stream().map(ScheduledChunk::start).toList());
    assertEquals(List.of(1, 1), decode.chunks().stream().map(ScheduledChunk::count).toList());
    assertEquals(List.of(0, 1), decode.chunks().stream().map(ScheduledChunk::queryStart).toList());
    assertEquals(a.tokenArray()[10], decode.chunks().getFirst().tokens()[0], "the token sampled last step runs now");
    ScheduledChunk da = decode.chunks().getFirst();
    assertEquals(0, da.tables().appended()[0].length, "position 10 is in a block the sequence has: nothing to send");
    assertTrue(!da.tables().restart());
    assertEquals(tables(ca)[0][0], tables(da)[0][0], "blocks stay where they are");
  }

  @Test
  void longPromptsArePrefilledInChunksThatSampleOnlyAtTheEnd() {
    Scheduler scheduler = scheduler(64, 4, EngineOptions.defaults().withMaxBatchTokens(7));
    Request r = request(20, 3);
    scheduler.add(r);
    int[] starts = new int[3];
    int[] counts = new int[3];
    boolean[] samples = new boolean[3];
    for (int step = 0; step < 3; step++) {
      StepPlan plan = scheduler.schedule();
      ScheduledChunk c = plan.chunks().getFirst();
      starts[step] = c.start();
      counts[step] = c.count();
      samples[step] = c.samples();
      assertEquals((c.contextLength() + 3) / 4, tables(c)[0].length, "the table covers the context");
      assertEquals(step == 0, c.tables().restart(), "only the first step sends whole tables");
      run(scheduler, plan);
    }
    assertArrayEquals(new int[] {0, 7, 14}, starts);
    assertArrayEquals(new int[] {7, 7, 6}, counts);
    assertArrayEquals(new boolean[] {false, false, true}, samples);
    assertEquals(21, r.size(), "one token sampled after the last chunk");
  }

  @Test
  void decodingSequencesTakeOneTokenAndPromptsFillTheRestOfTheBudget() {
    Scheduler scheduler = scheduler(64, 4, EngineOptions.defaults().withMaxBatchTokens(8));
    Request decoding = request(4, 10);
    scheduler.add(decoding);
    run(scheduler, scheduler.schedule());
    Request prompt = request(30, 2);
    scheduler.add(prompt);
    StepPlan plan = scheduler.schedule();
    assertEquals(1, plan.chunks().get(0).count());
    assertEquals(7, plan.chunks().get(1).count(), "8 tokens per step, one of them the decode");
    assertFalse(plan.chunks().get(1).samples());
  }

  @Test
  void admissionStopsAtTheBatchLimit() {
    Scheduler scheduler = scheduler(64, 4, EngineOptions.defaults().withMaxBatchSize(2));
    for (int i = 0; i < 3; i++) {
      scheduler.add(request(3, 4));
    }
    assertEquals(2, scheduler.schedule().chunks().size());
    assertEquals(2, scheduler.runningCount());
    assertEquals(1, scheduler.waitingCount());
  }

  @Test
  void aSharedPromptPrefixStartsAfterItsCachedBlocks() {
    Scheduler scheduler = scheduler(64, 4, EngineOptions.defaults());
    int[] prefix = IntStream.range(0, 13).map(i -> i == 0 ? 2 : 100 + i).toArray();
    Request first = request(prefix, 1);
    scheduler.add(first);
    run(scheduler, scheduler.schedule());
    scheduler.remove(first);

    int[] longer = IntStream.range(0, 18).map(i -> i < 13 ? prefix[i] : 300 + i).toArray();
    Request second = request(longer, 1);
    scheduler.add(second);
    ScheduledChunk chunk = scheduler.schedule().chunks().getFirst();
    assertEquals(12, chunk.start(), "three whole blocks of 4 are reused");
    assertEquals(6, chunk.count());
    assertEquals(12, scheduler.cachedPromptTokens(second));
  }

  @Test
  void runningOutOfBlocksPreemptsTheMostRecentlyAdmittedWhichIsRecomputedLater() {
    // 6 blocks of 4: two sequences of 8 prompt tokens fill 4, then growing needs more.
    Scheduler scheduler = scheduler(6, 4, EngineOptions.defaults());
    Request older = request(8, 12);
    Request newer = request(8, 12);
    scheduler.add(older);
    scheduler.add(newer);
    int preemptedAt = -1;
    boolean restartedNewer = false;
    java.util.Set<Long> removed = new java.util.HashSet<>();
    java.util.Set<Long> announced = new java.util.HashSet<>();
    for (int step = 0; step < 30 && scheduler.hasWork(); step++) {
      StepPlan plan = scheduler.schedule();
      announced.addAll(plan.finished());
      if (scheduler.preemptions() > 0 && preemptedAt < 0) {
        preemptedAt = step;
        assertEquals(List.of(older), plan.requests());
        assertEquals(1, scheduler.waitingCount(), "the newer sequence waits again");
      }
      for (ScheduledChunk c : plan.chunks()) {
        int[][] t = tables(c);
        assertEquals((c.contextLength() + 3) / 4, t[0].length, "the mirrored table covers the context");
        assertTrue(java.util.Arrays.stream(t[0]).allMatch(b -> b >= 0 && b < 6), "full-attention blocks are real");
        restartedNewer |= preemptedAt >= 0 && c.requestId() == newer.id() && c.tables().restart();
      }
      run(scheduler, plan);
      for (Request r : List.of(older, newer)) {
        if (r.generated() == 12 && removed.add(r.id())) {
          scheduler.remove(r);
        }
      }
    }
    assertTrue(restartedNewer, "the preempted sequence's tables restart when it runs again");
    assertTrue(announced.contains(older.id()), "a finished request is announced so a runner drops its tables");
    assertTrue(preemptedAt > 0, "the pool was short");
    assertEquals(12, older.generated());
    assertEquals(12, newer.generated());
    assertArrayEquals(FakeRunner.expected(newer.tokens(0, 8), 12), newer.tokens(8, 12), "recomputed, same tokens");
  }

  @Test
  void slidingTablesReleaseBlocksThatNoQueryCanSee() {
    Scheduler scheduler = scheduler(64, 4, EngineOptions.defaults());
    Request r = request(3, 30);
    scheduler.add(r);
    ScheduledChunk last = null;
    for (int step = 0; step < 25; step++) {
      StepPlan plan = scheduler.schedule();
      last = plan.chunks().getFirst();
      tables(last);
      run(scheduler, plan);
    }
    int query = last.start();
    int firstVisible = query - WINDOW + 1;
    int[][] kept = tables(last);
    for (int b = 0; b < kept[1].length; b++) {
      boolean needed = (b + 1) * 4 > firstVisible;
      assertEquals(needed, kept[1][b] >= 0, "sliding block " + b + " for a query at " + query);
      assertTrue(kept[0][b] >= 0, "full layers keep every block");
    }
  }

  @Test
  void aSequenceThatCannotFitEvenAloneIsRejected() {
    Scheduler scheduler = scheduler(2, 4, EngineOptions.defaults());
    Request r = request(6, 10);
    scheduler.add(r);
    for (int step = 0; step < 5 && scheduler.hasWork(); step++) {
      StepPlan plan = scheduler.schedule();
      if (!plan.rejected().isEmpty()) {
        assertEquals(r, plan.rejected().getFirst().request());
        assertTrue(plan.rejected().getFirst().reason().contains("cannot hold this sequence even alone"));
        assertFalse(scheduler.hasWork());
        return;
      }
      run(scheduler, plan);
    }
    throw new AssertionError("the sequence was never rejected");
  }

  @Test
  void aWaitingRequestIsNotTriedAgainUntilBlocksComeBack() {
    KvBlockManager blocks = KvBlockManagerTest.fullAndSliding(4, 4, 4, WINDOW);
    Scheduler scheduler = new Scheduler(blocks, EngineOptions.defaults().withBlockSize(4));
    int[] prompt = IntStream.range(0, 9).map(i -> i == 0 ? 2 : 50 + i).toArray();
    Request cached = request(prompt, 1);
    scheduler.add(cached);
    run(scheduler, scheduler.schedule());
    scheduler.remove(cached); // its two full blocks stay cached
    Request hog = request(12, 3);
    scheduler.add(hog);
    run(scheduler, scheduler.schedule()); // hog holds 3 of 4 blocks (one of them evicted from the cache)
    Request waiting = request(IntStream.range(0, 14).map(i -> i < 9 ? prompt[i] : 90 + i).toArray(), 1);
    scheduler.add(waiting);
    scheduler.schedule();
    long version = blocks.version();
    for (int i = 0; i < 3; i++) {
      scheduler.schedule();
      assertEquals(1, scheduler.waitingCount());
    }
    assertEquals(version, blocks.version(), "no prefix lookups and releases while nothing changed");
    scheduler.remove(hog);
    scheduler.schedule();
    assertEquals(0, scheduler.waitingCount(), "admitted once the blocks came back");
  }
}
