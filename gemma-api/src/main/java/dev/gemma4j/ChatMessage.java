package dev.gemma4j;

import java.util.Objects;

/**
 * One turn of a chat.
 *
 * @param role who speaks
 * @param text what is said
 */
public record ChatMessage(Role role, String text) {

  /** Who speaks a turn. */
  public enum Role {
    /** Instructions for the model; Gemma has no system turn, so it is folded into the first user turn. */
    SYSTEM,
    /** The person. */
    USER,
    /** The model (the assistant). */
    MODEL
  }

  /** Checks for nulls. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(text, "text");
  }

  /** A user turn. */
  public static ChatMessage user(String text) {
    return new ChatMessage(Role.USER, text);
  }

  /** A model turn. */
  public static ChatMessage model(String text) {
    return new ChatMessage(Role.MODEL, text);
  }

  /** A system text, folded into the first user turn. */
  public static ChatMessage system(String text) {
    return new ChatMessage(Role.SYSTEM, text);
  }
}
