package dev.gemma4j.testkit;

import static dev.gemma4j.testkit.Scripted.generator;
import static dev.gemma4j.testkit.Scripted.timed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.spi.Generator;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** Every timing assertion passes and fails exactly at its bound, on scripted timings (no wall clock). */
class GenerationTimingTest {
  static final int[] PROMPT = {2, 5, 6};
  static final GenerationConfig CONFIG = GenerationConfig.builder().maxNewTokens(100).ignoreEos(true).build();

  /** A warm-up of 10 s (ignored), then runs of 1000, 800, 1250 ms: 100, 125, 80 tokens/s; median 100. */
  static GenerationTiming threeRuns(Generator generator) {
    return GenerationTiming.of(generator, PROMPT, CONFIG).warmups(1).runs(3);
  }

  static Generator script() {
    return generator(timed(10_000), timed(1000), timed(800), timed(1250));
  }

  @Test
  void warmupsAreRunButNotMeasured() {
    Generator g = script();
    List<TimingRun> runs = threeRuns(g).measuredRuns();
    assertEquals(3, runs.size());
    assertEquals(100.0, runs.getFirst().tokensPerSecond(), 1e-9);
    verify(g, times(4)).submit(any(), any(), any());
  }

  @Test
  void tokensPerSecondComparesTheMedian() {
    threeRuns(script()).assertTokensPerSecondAtLeast(100.0);
    AssertionFailedError e =
        assertThrows(AssertionFailedError.class, () -> threeRuns(script()).assertTokensPerSecondAtLeast(100.001));
    assertTrue(e.getMessage().contains("median tokens/s 100.000 is below 100.001"), e.getMessage());
    assertTrue(e.getMessage().contains("run 1: 100 tokens, 100.00 tokens/s"), e.getMessage());
    assertTrue(e.getMessage().contains("run 2: 100 tokens, 125.00 tokens/s"), e.getMessage());
    assertTrue(e.getMessage().contains("run 3: 100 tokens, 80.00 tokens/s"), e.getMessage());
  }

  @Test
  void msPerTokenComparesTheMedian() {
    threeRuns(script()).assertMsPerTokenAtMost(10.0);
    assertThrows(AssertionFailedError.class, () -> threeRuns(script()).assertMsPerTokenAtMost(9.99));
  }

  @Test
  void timeToFirstTokenComparesTheMedianOrAPercentile() {
    // first tokens at 100, 80, 125 ms: median 100, p90 125
    threeRuns(script()).assertTimeToFirstTokenAtMost(Duration.ofMillis(100));
    assertThrows(AssertionFailedError.class, () -> threeRuns(script()).assertTimeToFirstTokenAtMost(Duration.ofMillis(99)));
    threeRuns(script()).assertTimeToFirstTokenAtMost(Duration.ofMillis(125), 90);
    AssertionFailedError e =
        assertThrows(AssertionFailedError.class, () -> threeRuns(script()).assertTimeToFirstTokenAtMost(Duration.ofMillis(124), 90));
    assertTrue(e.getMessage().contains("p90 time to first token 125.0 ms is above 124 ms"), e.getMessage());
  }

  @Test
  void spreadIsHalfTheRangeOverTheMean() {
    // 80..125 tokens/s around a mean of 101.67: ±22.13%
    GenerationTiming t = threeRuns(script());
    assertEquals(22.13, t.spreadPercent(), 0.01);
    t.assertSpreadWithin(22.2);
    AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> threeRuns(script()).assertSpreadWithin(22.0));
    assertTrue(e.getMessage().contains("±22.13%"), e.getMessage());
  }

  @Test
  void peakMemoryTakesTheLargestRun() {
    Generator g =
        generator(
            timed(1000),
            Scripted.generation(List.of(1), "", 1000, 100, 100L << 20),
            Scripted.generation(List.of(1), "", 1000, 100, 300L << 20),
            Scripted.generation(List.of(1), "", 1000, 100, 200L << 20));
    GenerationTiming t = threeRuns(g);
    t.assertPeakMemoryAtMost(300L << 20);
    assertThrows(AssertionFailedError.class, () -> t.assertPeakMemoryAtMost((300L << 20) - 1));
  }

  @Test
  void throughputCanBeBoundRelativeToABaselineOfTheSameRun() {
    // Single requests at 100 tokens/s; batches of 4 requests each finishing within 1.25 s: 320 tokens/s.
    GenerationTiming single = GenerationTiming.of(generator(timed(1000), timed(1000), timed(1000)), PROMPT, CONFIG).warmups(0).runs(3);
    Generator batched = generator(
        timed(1000), timed(1250), timed(1100), timed(900),
        timed(1250), timed(1250), timed(1250), timed(1250),
        timed(1000), timed(1000), timed(1250), timed(1000));
    GenerationTiming four = GenerationTiming.of(batched, PROMPT, CONFIG).warmups(0).runs(3).concurrency(4);
    four.assertTokensPerSecondAtLeast(3.2, single);
    AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> four.assertTokensPerSecondAtLeast(3.21, single));
    assertTrue(e.getMessage().contains("below 3.21 x the baseline's 100.000"), e.getMessage());
    assertTrue(e.getMessage().contains("4 request(s) each"), e.getMessage());
    assertEquals(320.0, four.median(TimingRun::tokensPerSecond), 1e-9);
  }

  @Test
  void aSingleSampleIsNotAMeasurement() {
    assertThrows(IllegalArgumentException.class, () -> GenerationTiming.of(script(), PROMPT, CONFIG).runs(1));
  }
}
