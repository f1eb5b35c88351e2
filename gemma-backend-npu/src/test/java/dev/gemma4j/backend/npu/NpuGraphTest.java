package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.TestFixtures;
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
    Map<String, String> env = new HashMap<>(Emulator.environment(Emulator.home()));
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
}
