package dev.gemma4j.spi;

/**
 * How to draw one row's token on the device: Hugging Face's temperature, top-k, top-p and min-p filters
 * (in that order, top-p over the top-k's renormalized mass), then the inverse of the filtered distribution's
 * cumulative sum at {@code uniform}, a number the host draws from the request's seeded generator so that
 * seeded runs repeat whatever else shares the batch.
 *
 * @param temperature divides the logits; positive
 * @param topK keeps the k most likely tokens; 0 keeps all
 * @param topP keeps the most likely tokens whose mass ahead is below this share; 1 keeps all
 * @param minP keeps tokens at least this share of the most likely one's probability; 0 keeps all
 * @param uniform in {@code [0, 1)}
 * @param topLogits how many of the row's highest logits to bring back with the token (0 for none)
 */
public record SamplingRow(float temperature, int topK, float topP, float minP, float uniform, int topLogits) {
  /** The most likely token (the first of equals): top-k of 1. */
  public static final SamplingRow GREEDY = greedy(0);

  /** The most likely token, with the row's {@code topLogits} highest logits. */
  public static SamplingRow greedy(int topLogits) {
    return new SamplingRow(1f, 1, 1f, 0f, 0f, topLogits);
  }

  /** Checks the ranges. */
  public SamplingRow {
    if (!(temperature > 0) || topK < 0 || !(topP > 0 && topP <= 1) || !(minP >= 0 && minP < 1)
        || !(uniform >= 0 && uniform < 1) || topLogits < 0) {
      throw new IllegalArgumentException("sampling parameters out of range: " + temperature + ", " + topK + ", "
          + topP + ", " + minP + ", " + uniform + ", top logits " + topLogits);
    }
  }
}
