package dev.gemma4j.examples.bench;

/**
 * A serving workload: how many requests, how many at once, and their fixed lengths.
 *
 * @param name a label for reports
 * @param concurrency requests in flight at once
 * @param requests requests in all
 * @param promptTokens prompt length, BOS included
 * @param newTokens tokens generated per request
 */
public record Workload(String name, int concurrency, int requests, int promptTokens, int newTokens) {
  /** The article's short workload: 32 concurrent requests, 128 prompt tokens, 256 new tokens. */
  public static final Workload SHORT = new Workload("short", 32, 64, 128, 256);

  /** The article's long workload: 16 concurrent requests, 1024 prompt tokens, 512 new tokens. */
  public static final Workload LONG = new Workload("long", 16, 32, 1024, 512);

  /** Validates the numbers. */
  public Workload {
    if (concurrency < 1 || requests < 1 || promptTokens < 1 || newTokens < 1) {
      throw new IllegalArgumentException("workload numbers must be positive: " + this);
    }
  }
}
