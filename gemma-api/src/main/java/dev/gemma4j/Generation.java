package dev.gemma4j;

import java.util.List;

/**
 * The result of one generation.
 *
 * @param text the generated text, special tokens skipped, cut before a stop string
 * @param promptIds the prompt's token ids, BOS included
 * @param tokenIds the generated ids, a final stop token included
 * @param finishReason why it ended
 * @param stats timings, token counts and memory
 * @param topLogits per step, the highest logits when {@link GenerationConfig#topLogits()} asked for them
 * @param logprobs per generated token, its log probability and the step's most likely tokens when
 *     {@link GenerationConfig#logprobs()} asked for them, else empty
 */
public record Generation(
    String text,
    List<Integer> promptIds,
    List<Integer> tokenIds,
    FinishReason finishReason,
    GenerationStats stats,
    List<TopLogits> topLogits,
    List<TokenLogprobs> logprobs) {

  /** Copies the lists. */
  public Generation {
    promptIds = List.copyOf(promptIds);
    tokenIds = List.copyOf(tokenIds);
    topLogits = List.copyOf(topLogits);
    logprobs = List.copyOf(logprobs);
  }

  /** A generation without log probabilities. */
  public Generation(String text, List<Integer> promptIds, List<Integer> tokenIds, FinishReason finishReason,
      GenerationStats stats, List<TopLogits> topLogits) {
    this(text, promptIds, tokenIds, finishReason, stats, topLogits, List.of());
  }
}
