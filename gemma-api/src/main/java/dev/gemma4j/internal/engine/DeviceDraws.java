package dev.gemma4j.internal.engine;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.spi.SamplingRow;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The draws of a request whose tokens the device samples: its filters, and one uniform number per token
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

  /** The next token's draw. */
  SamplingRow next() {
    return new SamplingRow(
        (float) config.temperature(), config.topK(), (float) config.topP(), (float) config.minP(), (float) random.nextDouble(0, 1));
  }
}
