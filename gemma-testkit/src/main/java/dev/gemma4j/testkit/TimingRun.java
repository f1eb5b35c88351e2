package dev.gemma4j.testkit;

import dev.gemma4j.GenerationStats;
import java.time.Duration;
import java.util.Locale;

/**
 * One measured run: its figures as the generator's statistics report them.
 *
 * @param tokensPerSecond generated tokens per second (for a concurrent run, of all its requests together)
 * @param msPerToken milliseconds per generated token
 * @param timeToFirstToken time to the first token
 * @param peakMemoryBytes the process's peak memory at the end of the run
 * @param generatedTokens tokens generated
 */
public record TimingRun(
    double tokensPerSecond, double msPerToken, Duration timeToFirstToken, long peakMemoryBytes, int generatedTokens) {

  static TimingRun of(GenerationStats s) {
    return new TimingRun(s.tokensPerSecond(), s.msPerToken(), s.timeToFirstToken(), s.peakMemoryBytes(), s.generatedTokens());
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%d tokens, %.2f tokens/s, %.1f ms/token, first token %d ms, peak memory %d MiB",
        generatedTokens, tokensPerSecond, msPerToken, timeToFirstToken.toMillis(), peakMemoryBytes >> 20);
  }
}
