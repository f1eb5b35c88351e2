package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.internal.engine.LocalEngine;
import dev.gemma4j.spi.Precision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Graph mode on the emulator: decode steps are captured once per shape and replayed with one launch, and
 * the tokens are the ones the step-by-step path gives (the goldens in float32 math).
 */
class NpuGraphTest {

  static Gemma open(Precision precision, boolean graphs) {
    return open(precision, graphs, Emulator.home(), Map.of());
  }

  static Gemma open(Precision precision, boolean graphs, Path toolkit, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Emulator.environment(toolkit));
    env.putAll(extra);
    if (graphs) {
      env.put(NpuGraphs.OVERRIDE, "on");
    }
    Path folder = TestFixtures.path("tiny-gemma2");
    GemmaOptions options = GemmaOptions.builder().backend("npu").precision(precision).build();
    return Gemma.on(LocalEngine.open("tiny-gemma2", folder, options, new NpuBackendProvider(env)));
  }

  static List<List<Integer>> generate(Gemma gemma, List<NpuGoldenTest.Case> cases) {
    List<CompletableFuture<Generation>> running = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (NpuGoldenTest.Case c : cases) {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedy().length).ignoreEos(true).build();
        running.add(gemma.submit(Prompt.ids(c.prompt()), config, e -> {}).result());
      }
    }
    return running.stream().map(f -> f.join().tokenIds()).toList();
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void decodeStepsAreCapturedOnceAndReplayedWithTheSameTokens(Precision precision) throws IOException {
    List<NpuGoldenTest.Case> cases = NpuGoldenTest.cases("tiny-gemma2");
    List<List<Integer>> plain;
    try (Gemma gemma = open(precision, false)) {
      plain = generate(gemma, cases);
    }
    long[] before = NpuStepCostTest.emulatorCounters(Emulator.home());
    try (Gemma gemma = open(precision, true)) {
      List<List<Integer>> graphed = generate(gemma, cases);
      assertEquals(plain, graphed, precision + ": replayed graphs give the step-by-step tokens");
      if (precision == Precision.FLOAT32) {
        for (int i = 0; i < graphed.size(); i++) {
          assertArrayEquals(cases.get(i % cases.size()).greedy(), graphed.get(i).stream().mapToInt(Integer::intValue).toArray());
        }
      }
      long[] after = NpuStepCostTest.emulatorCounters(Emulator.home());
      long captures = after[6] - before[6];
      long replays = after[7] - before[7];
      assertTrue(captures > 0 && replays > captures, "graphs captured " + captures + ", replayed " + replays);

      // One more identical request: its decode steps are all replays.
      NpuGoldenTest.Case c = cases.getFirst();
      GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedy().length).ignoreEos(true).build();
      gemma.generate(Prompt.ids(c.prompt()), config);
      EngineStats stats = gemma.engineStats();
      EngineStats start = stats;
      gemma.generate(Prompt.ids(c.prompt()), config);
      stats = gemma.engineStats();
      double launches = (double) stats.decodeCounters().minus(start.decodeCounters()).launches()
          / (stats.decodeSteps() - start.decodeSteps());
      System.out.printf("NPU %s graph mode: %.1f launches per decode step (one of them the graph)%n", precision, launches);
      assertTrue(launches < 20, "a replayed decode step launches the graph and the few operators around it: " + launches);
    }
  }

  /**
   * One sequence at a time, so the shapes do not depend on timing: a short request's steps see at most 64
   * keys (one shape), a long one's pass 64 (a second shape), and the two alternate.
   */
  static List<List<Integer>> alternatingShapes(Gemma gemma, NpuGoldenTest.Case c) {
    List<List<Integer>> tokens = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      for (int newTokens : new int[] {8, 90}) {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(newTokens).ignoreEos(true).build();
        tokens.add(gemma.generate(Prompt.ids(c.prompt()), config).tokenIds());
      }
    }
    return tokens;
  }

  @org.junit.jupiter.api.Test
  void aCappedGraphCacheDropsTheLeastRecentlyReplayedAndCapturesItAgain() throws IOException {
    NpuGoldenTest.Case c = NpuGoldenTest.cases("tiny-gemma2").getFirst();
    long[] start = NpuStepCostTest.emulatorCounters(Emulator.home());
    List<List<Integer>> uncapped;
    try (Gemma gemma = open(Precision.FLOAT32, true)) {
      uncapped = alternatingShapes(gemma, c);
    }
    long[] middle = NpuStepCostTest.emulatorCounters(Emulator.home());
    List<List<Integer>> capped;
    try (Gemma gemma = open(Precision.FLOAT32, true, Emulator.home(), Map.of(NpuGraphs.MAX_OVERRIDE, "1"))) {
      capped = alternatingShapes(gemma, c);
    }
    long[] end = NpuStepCostTest.emulatorCounters(Emulator.home());
    assertEquals(uncapped, capped, "the same tokens with one graph kept");
    assertArrayEquals(java.util.Arrays.copyOf(c.greedy(), 8), uncapped.get(0).stream().mapToInt(Integer::intValue).toArray());
    // Kept graphs are captured again only when the arena regrows (the long request's first steps); with
    // one kept, each shape is captured again every time it comes back: four captures in all.
    long uncappedCaptures = middle[6] - start[6];
    long cappedCaptures = end[6] - middle[6];
    assertEquals(4, cappedCaptures, "with one graph kept, each shape is captured again when it comes back");
    assertTrue(uncappedCaptures < cappedCaptures, "kept graphs are replayed: " + uncappedCaptures + " captures");
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> NpuGraphs.maxGraphs(Map.of(NpuGraphs.MAX_OVERRIDE, "0")));
    assertTrue(bad.getMessage().contains(NpuGraphs.MAX_OVERRIDE), bad.getMessage());
  }

  @org.junit.jupiter.api.Test
  void aShapeWhoseCaptureCannotBeginRunsWithoutAGraphAndIsNotRetried(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path toolkit = Emulator.copy(dir.resolve("no-capture"), "fail_op = aclmdlRICaptureBegin\n");
    List<NpuGoldenTest.Case> cases = NpuGoldenTest.cases("tiny-gemma2");
    try (Gemma gemma = open(Precision.FLOAT32, true, toolkit, Map.of())) {
      List<List<Integer>> tokens = generate(gemma, cases);
      for (int i = 0; i < tokens.size(); i++) {
        assertArrayEquals(cases.get(i % cases.size()).greedy(), tokens.get(i).stream().mapToInt(Integer::intValue).toArray());
      }
      alternatingShapes(gemma, cases.getFirst());
      long[] counters = NpuStepCostTest.emulatorCounters(toolkit);
      long steps = gemma.engineStats().decodeSteps();
      assertEquals(0, counters[6], "nothing was captured");
      assertTrue(counters[8] > 0 && counters[8] * 4 < steps,
          "each shape tried once, not at every step: " + counters[8] + " refused captures in " + steps + " decode steps");
    }
  }

  @org.junit.jupiter.api.Test
  void aCaptureThatCannotEndFailsItsStepAndTheEngineServesOn(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path toolkit = Emulator.copy(dir.resolve("no-end"), "fail_op = aclmdlRICaptureEnd\nfail_op_count = 1\n");
    NpuGoldenTest.Case c = NpuGoldenTest.cases("tiny-gemma2").getFirst();
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedy().length).ignoreEos(true).build();
    try (Gemma gemma = open(Precision.FLOAT32, true, toolkit, Map.of())) {
      var failed = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.CompletionException.class,
          () -> gemma.submit(Prompt.ids(c.prompt()), config, e -> {}).result().join());
      assertTrue(failed.getCause().getMessage().contains("could not end the capture"), failed.getCause().getMessage());
      for (int i = 0; i < 2; i++) {
        assertArrayEquals(c.greedy(), gemma.generate(Prompt.ids(c.prompt()), config).tokenIds().stream()
            .mapToInt(Integer::intValue).toArray(), "the next requests are served");
      }
      assertEquals(0, NpuStepCostTest.emulatorCounters(toolkit)[5], "no executor leaked");
    }
  }
}
