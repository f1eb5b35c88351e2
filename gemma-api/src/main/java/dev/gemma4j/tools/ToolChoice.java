package dev.gemma4j.tools;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Whether and which tools the model must call (OpenAI's {@code tool_choice}).
 *
 * @param mode none, auto, required, or one named function
 * @param function the function of {@link Mode#FUNCTION}, else {@code null}
 */
public record ToolChoice(Mode mode, @Nullable String function) {
  /** The modes. */
  public enum Mode {
    /** No tool calls: free text. */
    NONE,
    /** The model chooses between text and calls. */
    AUTO,
    /** At least one call, of any tool. */
    REQUIRED,
    /** A call of the named function. */
    FUNCTION
  }

  /** Checks that a function is named exactly when the mode is {@link Mode#FUNCTION}. */
  public ToolChoice {
    Objects.requireNonNull(mode, "mode");
    if ((mode == Mode.FUNCTION) != (function != null)) {
      throw new IllegalArgumentException("a function is named exactly when the mode is FUNCTION");
    }
  }

  /** No tool calls. */
  public static ToolChoice none() {
    return new ToolChoice(Mode.NONE, null);
  }

  /** The model chooses between text and calls. */
  public static ToolChoice auto() {
    return new ToolChoice(Mode.AUTO, null);
  }

  /** At least one call. */
  public static ToolChoice required() {
    return new ToolChoice(Mode.REQUIRED, null);
  }

  /** A call of {@code name}. */
  public static ToolChoice function(String name) {
    return new ToolChoice(Mode.FUNCTION, name);
  }
}
