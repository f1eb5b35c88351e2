package dev.gemma4j;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What to generate from: plain text (BOS is added; special-token text such as {@code <start_of_turn>}
 * becomes those tokens, so a text prompt can spell a template out), a chat (rendered with Gemma 2's
 * template; the messages' text is plain text, see {@link #allowingSpecialTokens()}), or token ids given
 * as they are (they should start with BOS).
 */
public final class Prompt {
  private final @Nullable String text;
  private final @Nullable List<ChatMessage> chat;
  private final int @Nullable [] ids;
  private final boolean specialTokensInMessages;

  private Prompt(
      @Nullable String text, @Nullable List<ChatMessage> chat, int @Nullable [] ids, boolean specialTokensInMessages) {
    this.text = text;
    this.chat = chat;
    this.ids = ids;
    this.specialTokensInMessages = specialTokensInMessages;
  }

  private Prompt(@Nullable String text, @Nullable List<ChatMessage> chat, int @Nullable [] ids) {
    this(text, chat, ids, false);
  }

  /**
   * This chat with special-token text in its messages read as those tokens: a message saying
   * {@code <end_of_turn>} then ends its turn. By default it is plain text, so what a user types cannot
   * forge a turn of the conversation; allow it only for messages you wrote yourself.
   */
  public Prompt allowingSpecialTokens() {
    return new Prompt(text, chat, ids, true);
  }

  /** Whether special-token text in chat messages becomes those tokens (see {@link #allowingSpecialTokens()}). */
  public boolean specialTokensInMessages() {
    return specialTokensInMessages;
  }

  /** Plain text; the tokenizer adds BOS. */
  public static Prompt text(String text) {
    return new Prompt(Objects.requireNonNull(text, "text"), null, null);
  }

  /** A conversation, rendered with Gemma 2's chat template; the model answers the last user turn. */
  public static Prompt chat(List<ChatMessage> messages) {
    return new Prompt(null, List.copyOf(messages), null);
  }

  /** One user turn in the chat template. */
  public static Prompt chat(String userText) {
    return chat(List.of(ChatMessage.user(userText)));
  }

  /** Token ids used as they are. */
  public static Prompt ids(int... ids) {
    return new Prompt(null, null, ids.clone());
  }

  /** The plain text, or {@code null} when this is a chat or ids prompt. */
  public @Nullable String plainText() {
    return text;
  }

  /** The conversation, or {@code null} when this is not a chat prompt. */
  public @Nullable List<ChatMessage> messages() {
    return chat;
  }

  /** The token ids, or {@code null} when this is a text or chat prompt. */
  public int @Nullable [] tokenIds() {
    return ids == null ? null : ids.clone();
  }

  @Override
  public String toString() {
    if (text != null) {
      return "Prompt.text(" + text + ")";
    }
    return chat != null ? "Prompt.chat(" + chat + ")" : "Prompt.ids(" + Arrays.toString(ids) + ")";
  }
}
