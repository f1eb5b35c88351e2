package dev.gemma4j.sampling;

import dev.gemma4j.spi.Sampler.TokenHistory;

/** Transforms a row of logits in place before a token is chosen; the composable part of a sampler. */
@FunctionalInterface
public interface LogitsProcessor {
  /** Transforms {@code logits}; tokens to exclude get {@link Float#NEGATIVE_INFINITY}. */
  void process(float[] logits, TokenHistory history);
}
