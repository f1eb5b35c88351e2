package dev.gemma4j;

import java.time.Duration;

/**
 * What one generation measured, in the figures users of this field compare.
 *
 * @param promptTokens tokens of the prompt, BOS included
 * @param generatedTokens tokens generated
 * @param timeToFirstToken from submission to the first generated token (queueing and prefill included)
 * @param totalTime from submission to the end
 * @param memoryAfterLoadBytes the process's memory right after the model was loaded
 * @param peakMemoryBytes the process's peak memory when the generation ended
 * @param cachedPromptTokens prompt tokens whose keys and values were reused from the prefix cache
 */
public record GenerationStats(
    int promptTokens,
    int generatedTokens,
    Duration timeToFirstToken,
    Duration totalTime,
    long memoryAfterLoadBytes,
    long peakMemoryBytes,
    int cachedPromptTokens) {

  /** Generated tokens per second over the whole request. */
  public double tokensPerSecond() {
    double seconds = totalTime.toNanos() / 1e9;
    return seconds > 0 ? generatedTokens / seconds : 0;
  }

  /** Milliseconds per generated token over the whole request. */
  public double msPerToken() {
    return generatedTokens > 0 ? totalTime.toNanos() / 1e6 / generatedTokens : 0;
  }

  /** Milliseconds per token after the first: the decode speed, without queueing and prefill. */
  public double decodeMsPerToken() {
    int decoded = generatedTokens - 1;
    return decoded > 0 ? totalTime.minus(timeToFirstToken).toNanos() / 1e6 / decoded : 0;
  }
}
