package dev.gemma4j.testkit;

import java.util.Objects;

/**
 * A prompt whose greedy output is pinned in a golden file.
 *
 * @param id a stable name, unique within its set (it keys the golden file)
 * @param text the prompt text
 * @param chat whether the text is wrapped in the chat template
 * @param maxNewTokens how many tokens the golden pins
 */
public record GoldenPrompt(String id, String text, boolean chat, int maxNewTokens) {

  /** Validates the fields. */
  public GoldenPrompt {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
    if (id.isBlank() || maxNewTokens < 1) {
      throw new IllegalArgumentException("a golden prompt needs an id and at least one new token");
    }
  }
}
