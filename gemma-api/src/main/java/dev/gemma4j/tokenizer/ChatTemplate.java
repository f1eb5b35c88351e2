package dev.gemma4j.tokenizer;

import dev.gemma4j.ChatMessage;
import dev.gemma4j.GemmaException;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 2's chat format, as its {@code tokenizer_config.json} template writes it:
 * {@code <start_of_turn>user\n{text}<end_of_turn>\n<start_of_turn>model\n} per turn (the text trimmed),
 * the assistant's role named {@code model}. Gemma has no system role: a system text is folded into the
 * first user turn, followed by a blank line. BOS is not part of the text; the tokenizer adds it.
 */
public final class ChatTemplate {
  private ChatTemplate() {}

  /**
   * Renders a conversation, ending with the opening of the model's turn.
   *
   * @throws GemmaException when the turns do not alternate user, model, user, ... or the last turn is
   *     not the user's
   */
  public static String render(List<ChatMessage> messages) {
    StringBuilder text = new StringBuilder();
    segments(messages).forEach(segment -> text.append(segment.text()));
    return text.toString();
  }

  /**
   * A piece of a rendered chat: template text, or the text of a message.
   *
   * @param text the characters
   * @param message whether they are a message's text rather than the template's
   */
  public record Segment(String text, boolean message) {}

  /** The rendered chat as template pieces and message texts, in order; see {@link #render}. */
  public static List<Segment> segments(List<ChatMessage> messages) {
    List<ChatMessage> turns = foldSystem(messages);
    if (turns.isEmpty()) {
      throw new GemmaException("a chat needs at least one user message");
    }
    List<Segment> out = new ArrayList<>();
    for (int i = 0; i < turns.size(); i++) {
      ChatMessage m = turns.get(i);
      ChatMessage.Role expected = i % 2 == 0 ? ChatMessage.Role.USER : ChatMessage.Role.MODEL;
      if (m.role() != expected) {
        throw new GemmaException(
            "chat turns must alternate user, model, user, ...: turn " + (i + 1) + " is " + m.role()
                + " where " + expected + " was expected");
      }
      out.add(new Segment("<start_of_turn>" + (m.role() == ChatMessage.Role.USER ? "user" : "model") + "\n", false));
      out.add(new Segment(m.text().strip(), true));
      out.add(new Segment("<end_of_turn>\n", false));
    }
    if (turns.getLast().role() != ChatMessage.Role.USER) {
      throw new GemmaException("the last chat turn must be the user's; the model answers it");
    }
    out.add(new Segment("<start_of_turn>model\n", false));
    return out;
  }

  private static List<ChatMessage> foldSystem(List<ChatMessage> messages) {
    List<ChatMessage> out = new ArrayList<>();
    StringBuilder system = new StringBuilder();
    for (ChatMessage m : messages) {
      if (m.role() == ChatMessage.Role.SYSTEM) {
        if (!out.isEmpty()) {
          throw new GemmaException("a system message must come before the first user message");
        }
        system.append(m.text().strip()).append("\n\n");
      } else if (out.isEmpty() && !system.isEmpty()) {
        out.add(new ChatMessage(m.role(), system + m.text().strip()));
      } else {
        out.add(m);
      }
    }
    return out;
  }
}
