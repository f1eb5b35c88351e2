package dev.gemma4j;

import org.jspecify.annotations.Nullable;

/**
 * One generated token, as streaming delivers it.
 *
 * @param index 0 for the first generated token
 * @param id the token id
 * @param text the text this token completes; may be empty (part of a multi-byte character, a skipped
 *     special token, or text held back because it may begin a stop string) and never splits a character
 * @param logprobs the token's log probability and the step's most likely tokens when
 *     {@link GenerationConfig#logprobs()} asked for them, else {@code null}
 */
public record TokenEvent(int index, int id, String text, @Nullable TokenLogprobs logprobs) {
  /** An event without log probabilities. */
  public TokenEvent(int index, int id, String text) {
    this(index, id, text, null);
  }
}
