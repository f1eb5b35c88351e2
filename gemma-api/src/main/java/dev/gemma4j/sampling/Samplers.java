package dev.gemma4j.sampling;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.spi.Sampler;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Builds the sampler a {@link GenerationConfig} describes. */
public final class Samplers {
  private Samplers() {}

  /**
   * The sampler of a request: the config's own {@link GenerationConfig#sampler()} when it has one;
   * greedy when it does not sample (with the repetition penalty when one is set); otherwise Hugging Face's
   * pipeline (repetition penalty, temperature, top-k, top-p, min-p, a seeded draw) fused into a few linear
   * passes over the row. Without a seed, a random one is chosen. A temperature so small that it rounds to
   * zero in float32 decodes greedily.
   */
  public static Sampler forConfig(GenerationConfig config) {
    Sampler own = config.sampler();
    if (own != null) {
      return own;
    }
    if (isGreedy(config)) {
      return config.repetitionPenalty() != 1.0
          ? new GreedySampler(List.of(LogitsProcessors.repetitionPenalty(config.repetitionPenalty())))
          : new GreedySampler(List.of());
    }
    Long seed = config.seed();
    return new FusedSampler(
        config.repetitionPenalty(),
        config.temperature(),
        config.topK(),
        config.topP(),
        config.minP(),
        seed != null ? seed : ThreadLocalRandom.current().nextLong());
  }

  /** Whether the config decodes greedily (no sampling, or a temperature that rounds to 0 in float32). */
  public static boolean isGreedy(GenerationConfig config) {
    return !config.sample() || (float) config.temperature() == 0f;
  }
}
