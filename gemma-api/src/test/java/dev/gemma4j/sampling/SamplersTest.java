package dev.gemma4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.spi.Sampler;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplersTest {
  private static final float NEG = Float.NEGATIVE_INFINITY;

  private static Sampler.TokenHistory history(int... ids) {
    return new Sampler.TokenHistory() {
      @Override
      public int size() {
        return ids.length;
      }

      @Override
      public int get(int i) {
        return ids[i];
      }
    };
  }

  @Test
  void greedyTakesTheFirstLargest() {
    Sampler greedy = Samplers.forConfig(GenerationConfig.defaults());
    assertEquals(2, greedy.sample(new float[] {0.1f, 0.5f, 0.9f, 0.9f, -1f}, history()));
  }

  @Test
  void temperatureDividesLogits() {
    float[] logits = {2f, -4f, 1f};
    LogitsProcessors.temperature(0.5).process(logits, history());
    assertArrayEquals(new float[] {4f, -8f, 2f}, logits);
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeOncePerToken() {
    float[] logits = {2f, -4f, 1f, 3f};
    LogitsProcessors.repetitionPenalty(2.0).process(logits, history(0, 1, 1, 0));
    assertArrayEquals(new float[] {1f, -8f, 1f, 3f}, logits);
  }

  @Test
  void topKKeepsTheKLargestAndTies() {
    float[] logits = {1f, 5f, 3f, 3f, 0f};
    LogitsProcessors.topK(2).process(logits, history());
    assertArrayEquals(new float[] {NEG, 5f, 3f, 3f, NEG}, logits);
  }

  @Test
  void topPKeepsTheSmallestSetReachingP() {
    // probabilities 0.5, 0.3, 0.15, 0.05 (as logs)
    float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
    float[] p79 = logits.clone();
    LogitsProcessors.topP(0.79).process(p79, history());
    assertEquals(NEG, p79[2]);
    assertEquals(NEG, p79[3]);
    assertTrue(p79[0] > NEG && p79[1] > NEG);
    float[] p81 = logits.clone();
    LogitsProcessors.topP(0.81).process(p81, history());
    assertTrue(p81[2] > NEG);
    assertEquals(NEG, p81[3]);
    float[] tiny = logits.clone();
    LogitsProcessors.topP(0.01).process(tiny, history());
    assertTrue(tiny[0] > NEG, "the most likely token always stays");
    assertEquals(NEG, tiny[1]);
  }

  @Test
  void minPDropsTokensFarBelowTheBest() {
    float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
    LogitsProcessors.minP(0.25).process(logits, history());
    assertTrue(logits[1] > NEG);
    assertEquals(NEG, logits[2]);
  }

  @Test
  void aSeedGivesTheSameTokensAndAnotherSeedOthers() {
    GenerationConfig config = GenerationConfig.builder().temperature(1.0).seed(42).build();
    float[] logits = new float[50];
    int[] first = draw(Samplers.forConfig(config), logits, 200);
    assertArrayEquals(first, draw(Samplers.forConfig(config), logits, 200));
    int[] other = draw(Samplers.forConfig(config.toBuilder().seed(43).build()), logits, 200);
    assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(other));
  }

  @Test
  void samplingFollowsTheDistribution() {
    Sampler sampler = Samplers.forConfig(GenerationConfig.builder().temperature(1.0).seed(7).build());
    float[] logits = {(float) Math.log(0.7), (float) Math.log(0.2), (float) Math.log(0.1)};
    int[] counts = new int[3];
    for (int i = 0; i < 20_000; i++) {
      counts[sampler.sample(logits.clone(), history())]++;
    }
    assertEquals(0.7, counts[0] / 20_000.0, 0.02);
    assertEquals(0.2, counts[1] / 20_000.0, 0.02);
    assertEquals(0.1, counts[2] / 20_000.0, 0.02);
  }

  @Test
  void filteredTokensAreNeverDrawn() {
    Sampler sampler = Samplers.forConfig(GenerationConfig.builder().topK(2).seed(1).build());
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      seen.add(sampler.sample(new float[] {0f, 3f, 0.1f, 2.9f}, history()));
    }
    assertEquals(Set.of(1, 3), seen);
  }

  private static int[] draw(Sampler sampler, float[] logits, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = sampler.sample(logits.clone(), history());
    }
    return out;
  }
}
