package dev.gemma4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.spi.SamplingRow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How each request's tokens are chosen is decided once, and step plans carry it as data. */
class SamplingModeTest {
  private static GenerationConfig.Builder config() {
    return GenerationConfig.builder().maxNewTokens(4).ignoreEos(true);
  }

  @Test
  void eachConfigGetsOneMode() {
    GenerationConfig greedy = config().build();
    GenerationConfig greedyWithTop = config().topLogits(3).build();
    GenerationConfig sampled = config().sample(true).temperature(0.7).build();
    GenerationConfig penalized = config().repetitionPenalty(1.2).build();
    GenerationConfig underflow = config().sample(true).temperature(1e-50).build();
    GenerationConfig custom = config().sampler((logits, history) -> 3).build();
    assertEquals(SamplingMode.DEVICE_ARGMAX, SamplingMode.of(greedy, true));
    assertEquals(SamplingMode.DEVICE_ARGMAX, SamplingMode.of(greedy, false));
    assertEquals(SamplingMode.DEVICE_ARGMAX, SamplingMode.of(underflow, false), "a temperature that rounds to 0 is greedy");
    assertEquals(SamplingMode.DEVICE_DRAW, SamplingMode.of(greedyWithTop, true));
    assertEquals(SamplingMode.HOST_LOGITS, SamplingMode.of(greedyWithTop, false));
    assertEquals(SamplingMode.DEVICE_DRAW, SamplingMode.of(sampled, true));
    assertEquals(SamplingMode.HOST_LOGITS, SamplingMode.of(sampled, false));
    assertEquals(SamplingMode.HOST_LOGITS, SamplingMode.of(penalized, true));
    assertEquals(SamplingMode.HOST_LOGITS, SamplingMode.of(custom, true));
    assertEquals(SamplingMode.HOST_LOGITS, SamplingMode.of(config().minNewTokens(2).build(), true),
        "a minimum length masks the stop ids on the host");
  }

  @Test
  void aDeviceDrawIsPlannedOnlyWhenTheChunkSamplesAndSeededDrawsRepeat() {
    float[][] runs = new float[2][];
    for (int run = 0; run < 2; run++) {
      Scheduler scheduler = SchedulerTest.scheduler(64, 4, EngineOptions.defaults().withMaxBatchTokens(4));
      GenerationConfig seeded = config().sample(true).temperature(0.9).seed(42).build();
      Request r = new Request(1, new int[] {2, 5, 6, 7, 8, 9}, seeded, java.util.Set.of(),
          dev.gemma4j.sampling.Samplers.forConfig(seeded), SamplingMode.of(seeded, true), null, null, 64, e -> {},
          Runnable::run);
      scheduler.add(r);
      List<Float> uniforms = new ArrayList<>();
      for (int step = 0; step < 4 && scheduler.hasWork(); step++) {
        StepPlan plan = scheduler.schedule();
        ScheduledChunk chunk = plan.chunks().getFirst();
        if (chunk.samples()) {
          SamplingRow draw = chunk.sample().draw();
          assertNotNull(draw);
          assertEquals(SamplingMode.DEVICE_DRAW, chunk.sample().mode());
          uniforms.add(draw.uniform());
        } else {
          assertNull(chunk.sample(), "a prompt chunk that does not end the prompt draws nothing");
        }
        SchedulerTest.run(scheduler, plan);
      }
      runs[run] = new float[uniforms.size()];
      for (int i = 0; i < uniforms.size(); i++) {
        runs[run][i] = uniforms.get(i);
      }
    }
    assertEquals(3, runs[0].length, "the 6-token prompt takes two steps of 4, then one draw per token");
    assertArrayEquals(runs[0], runs[1], "a seeded request draws the same numbers");
  }
}
