package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Counts tokens with the model's own tokenizer, for LangChain4j's chat memories and splitters. Messages
 * are counted as the model reads them: rendered with the chat template, BOS and the opening of the model's
 * turn included. Needs the tokenizer in this process (not a remote model).
 */
public final class GemmaTokenCountEstimator implements TokenCountEstimator {
  private final Gemma gemma;
  private final GemmaTokenizer tokenizer;

  /**
   * @throws GemmaException when the model has no tokenizer in this process
   */
  public GemmaTokenCountEstimator(Gemma gemma) {
    this.gemma = Objects.requireNonNull(gemma, "gemma");
    this.tokenizer = gemma.tokenizer().orElseThrow(() -> new GemmaException(
        gemma.info().model() + " has no tokenizer in this process (a remote model, or no tokenizer.json), so its"
            + " tokens cannot be counted here"));
  }

  /** Tokens of the text alone, without BOS. */
  @Override
  public int estimateTokenCountInText(String text) {
    return tokenizer.encode(text, false).length;
  }

  /** Tokens of the message as a one-message conversation. */
  @Override
  public int estimateTokenCountInMessage(ChatMessage message) {
    return estimateTokenCountInMessages(List.of(message));
  }

  /** Tokens of the conversation as the model reads it. */
  @Override
  public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
    List<ChatMessage> list = new ArrayList<>();
    messages.forEach(list::add);
    return gemma.encode(ChatMapping.prompt(list, List.of())).length;
  }
}
