package dev.gemma4j.sampling;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.spi.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Builds the sampler a {@link GenerationConfig} describes. */
public final class Samplers {
  private Samplers() {}

  /**
   * Greedy when the configuration does not sample; otherwise repetition penalty, temperature, top-k,
   * top-p and min-p in that order (Hugging Face's order), then a seeded draw. Without a seed, a random
   * one is chosen.
   */
  public static Sampler forConfig(GenerationConfig config) {
    List<LogitsProcessor> processors = new ArrayList<>();
    if (config.repetitionPenalty() != 1.0) {
      processors.add(LogitsProcessors.repetitionPenalty(config.repetitionPenalty()));
    }
    if (!config.sample()) {
      return new GreedySampler(processors);
    }
    if (config.temperature() != 1.0) {
      processors.add(LogitsProcessors.temperature(config.temperature()));
    }
    if (config.topK() > 0) {
      processors.add(LogitsProcessors.topK(config.topK()));
    }
    if (config.topP() < 1.0) {
      processors.add(LogitsProcessors.topP(config.topP()));
    }
    if (config.minP() > 0) {
      processors.add(LogitsProcessors.minP(config.minP()));
    }
    Long seed = config.seed();
    return new RandomSampler(processors, seed != null ? seed : ThreadLocalRandom.current().nextLong());
  }
}
