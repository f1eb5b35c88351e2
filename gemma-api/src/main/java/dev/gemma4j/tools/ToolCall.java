package dev.gemma4j.tools;

import java.util.Objects;

/**
 * One call the model made.
 *
 * @param id the call's id, unique in its response (OpenAI's {@code call_...})
 * @param name the function
 * @param arguments its arguments as a JSON object text
 */
public record ToolCall(String id, String name, String arguments) {
  /** Checks for nulls. */
  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
  }
}
