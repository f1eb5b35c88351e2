package dev.gemma4j.sampling;

import dev.gemma4j.spi.Sampler;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws a token from the softmax of the processed logits with a seeded generator: the same seed and the
 * same logits give the same sequence of tokens on every machine.
 */
public final class RandomSampler implements Sampler {
  private final List<LogitsProcessor> processors;
  private final SplittableRandom random;

  /** A sampler applying {@code processors} in order, then drawing with a generator seeded by {@code seed}. */
  public RandomSampler(List<LogitsProcessor> processors, long seed) {
    this.processors = List.copyOf(processors);
    this.random = new SplittableRandom(seed);
  }

  @Override
  public int sample(float[] logits, TokenHistory history) {
    processors.forEach(p -> p.process(logits, history));
    double[] probabilities = Softmax.of(logits);
    double u = random.nextDouble();
    double cumulative = 0;
    int last = -1;
    for (int i = 0; i < probabilities.length; i++) {
      if (probabilities[i] > 0) {
        cumulative += probabilities[i];
        last = i;
        if (u < cumulative) {
          return i;
        }
      }
    }
    return last >= 0 ? last : GreedySampler.argmax(logits);
  }
}
