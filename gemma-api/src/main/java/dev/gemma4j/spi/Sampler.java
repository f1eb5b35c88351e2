package dev.gemma4j.spi;

/**
 * Chooses the next token from one row of logits. An instance serves one generation and holds its random
 * state, so the same seed and the same logits give the same tokens. Implementations live in
 * {@link dev.gemma4j.sampling}; {@link dev.gemma4j.sampling.Samplers#forConfig} builds the one a
 * {@link dev.gemma4j.GenerationConfig} asks for.
 */
public interface Sampler {
  /**
   * The next token.
   *
   * @param logits the row of logits over the vocabulary; the sampler may change it in place
   * @param history the prompt and the tokens generated so far
   */
  int sample(float[] logits, TokenHistory history);

  /** The tokens seen so far by a generation, for penalties. */
  interface TokenHistory {
    /** Number of tokens. */
    int size();

    /** Token {@code i}. */
    int get(int i);
  }
}
