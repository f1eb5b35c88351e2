package dev.gemma4j.check;

import java.util.List;

/**
 * The outcome of a {@link DeploymentCheck}.
 *
 * @param device the device in words
 * @param backend the backend's name
 * @param model the model's architecture in words
 * @param loadSeconds time to open the model (0 when the check was given an open model)
 * @param prompts one result per check prompt
 * @param benchmark the timed runs
 * @param memory memory after load and at the peak, and the device's total and free memory
 */
public record CheckReport(
    String device,
    String backend,
    String model,
    double loadSeconds,
    List<PromptResult> prompts,
    Benchmark benchmark,
    Memory memory) {

  /** Copies the list. */
  public CheckReport {
    prompts = List.copyOf(prompts);
  }

  /**
   * One check prompt.
   *
   * @param prompt the prompt text
   * @param text the generated text
   * @param inputTokens prompt tokens, BOS included
   * @param newTokens generated tokens
   * @param seconds time of the generation
   */
  public record PromptResult(String prompt, String text, int inputTokens, int newTokens, double seconds) {
    /** Generated tokens per second. */
    public double tokensPerSecond() {
      return seconds > 0 ? newTokens / seconds : 0;
    }
  }

  /**
   * The benchmark: the same prompt run greedily several times after warm-ups.
   *
   * @param prompt the benchmark prompt
   * @param runs one entry per measured run
   */
  public record Benchmark(String prompt, List<PromptResult> runs) {
    /** Copies the list. */
    public Benchmark {
      runs = List.copyOf(runs);
    }

    /** Tokens generated over all runs. */
    public int totalTokens() {
      return runs.stream().mapToInt(PromptResult::newTokens).sum();
    }

    /** Seconds over all runs. */
    public double totalSeconds() {
      return runs.stream().mapToDouble(PromptResult::seconds).sum();
    }

    /** Mean of the runs' tokens per second. */
    public double averageTokensPerSecond() {
      return runs.stream().mapToDouble(PromptResult::tokensPerSecond).average().orElse(0);
    }

    /** Milliseconds per token over all runs. */
    public double msPerToken() {
      return totalTokens() > 0 ? totalSeconds() * 1000 / totalTokens() : 0;
    }

    /**
     * The spread between runs, as the article reports it (±x%): half the range of the runs' tokens per
     * second, relative to their mean.
     */
    public double fluctuationPercent() {
      double max = runs.stream().mapToDouble(PromptResult::tokensPerSecond).max().orElse(0);
      double min = runs.stream().mapToDouble(PromptResult::tokensPerSecond).min().orElse(0);
      double mean = averageTokensPerSecond();
      return mean > 0 ? (max - min) / 2 / mean * 100 : 0;
    }
  }

  /**
   * Memory figures.
   *
   * @param afterLoadBytes the process's memory right after loading
   * @param peakBytes the process's peak memory during the check
   * @param nowBytes the process's memory at the end
   * @param deviceTotalBytes the device's total memory
   * @param deviceFreeBytes the device's free memory at the end
   * @param weightBytes what the backend holds for the weights
   * @param kvCacheBytes what the backend holds for the KV cache
   */
  public record Memory(
      long afterLoadBytes,
      long peakBytes,
      long nowBytes,
      long deviceTotalBytes,
      long deviceFreeBytes,
      long weightBytes,
      long kvCacheBytes) {}
}
