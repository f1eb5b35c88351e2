package dev.gemma4j.internal.engine;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.sampling.Samplers;

/**
 * How a request's tokens are chosen, decided once when it is submitted ({@link #of}) and carried by every
 * step plan that samples it: the one place that asks "is this greedy?".
 */
enum SamplingMode {
  /** The argmax of the raw logits: the device chooses, only the id comes back. */
  DEVICE_ARGMAX,
  /** The device draws the token (sampled, or greedy recording top logits): the id and top logits come back. */
  DEVICE_DRAW,
  /**
   * The host samples from the whole row of logits: a repetition penalty, a minimum length, a response format, log probabilities, a
   * custom sampler, or a device that cannot draw.
   */
  HOST_LOGITS;

  /**
   * The mode of a request with {@code config} on a runner that can ({@code deviceDraws}) or cannot draw
   * sampled tokens itself.
   */
  static SamplingMode of(GenerationConfig config, boolean deviceDraws) {
    // A minimum length masks the stop ids in the logits, and a response format masks by its grammar: only the
    // host does either.
    boolean plain = config.sampler() == null && config.repetitionPenalty() == 1.0 && config.minNewTokens() == 0
        && !config.responseFormat().constrains() && config.logprobs() < 0;
    if (plain && Samplers.isGreedy(config) && config.topLogits() == 0) {
      return DEVICE_ARGMAX;
    }
    return plain && deviceDraws ? DEVICE_DRAW : HOST_LOGITS;
  }
}
