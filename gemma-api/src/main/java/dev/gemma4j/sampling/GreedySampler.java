package dev.gemma4j.sampling;

import dev.gemma4j.spi.Sampler;
import java.util.List;

/** The most likely token after the processors (ties go to the lower id, as {@code argmax} does). */
public final class GreedySampler implements Sampler {
  private final List<LogitsProcessor> processors;

  /** A greedy sampler that first applies {@code processors} in order. */
  public GreedySampler(List<LogitsProcessor> processors) {
    this.processors = List.copyOf(processors);
  }

  @Override
  public int sample(float[] logits, TokenHistory history) {
    processors.forEach(p -> p.process(logits, history));
    return argmax(logits);
  }

  /** Index of the largest value; the lowest index among equals. */
  public static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
