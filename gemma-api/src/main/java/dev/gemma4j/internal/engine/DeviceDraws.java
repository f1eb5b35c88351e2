package dev.gemma4j.internal.engine;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.sampling.Samplers;
import dev.gemma4j.spi.SamplingRow;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The draws of a request whose tokens the device chooses (sampled, or greedy with top logits): its filters,
 * the top logits it records, and one uniform number per token
 * from a generator seeded by the request (a random seed without one), so a seeded request repeats its
 * tokens whatever else shares its steps.
 */
final class DeviceDraws {
  private final GenerationConfig config;
  private final SplittableRandom random;

  DeviceDraws(GenerationConfig config) {
    this.config = config;
    Long seed = config.seed();
    this.random = new SplittableRandom(seed != null ? seed : ThreadLocalRandom.current().nextLong());
  }

  /** The next token's draw: greedy with top logits, or sampled. */
  SamplingRow next() {
    if (Samplers.isGreedy(config)) {
      return SamplingRow.greedy(config.topLogits());
    }
    return new SamplingRow((float) config.temperature(), config.topK(), (float) config.topP(), (float) config.minP(),
        (float) random.nextDouble(0, 1), config.topLogits());
  }
}
