package dev.gemma4j.tools;

import dev.gemma4j.internal.StrictJson;
import java.util.Objects;

/**
 * A function the model may call: its name, what it does, and the JSON Schema of its arguments (an object
 * schema; the arguments of a call are constrained to it).
 *
 * @param name the function's name: 1 to 64 letters, digits, underscores or hyphens (OpenAI's rule)
 * @param description what it does, for the model; may be empty
 * @param parametersSchema the JSON Schema of its arguments object
 */
public record Tool(String name, String description, String parametersSchema) {
  /** Checks the name and that the schema is a JSON object. */
  public Tool {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(parametersSchema, "parametersSchema");
    if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("the tool name '" + name + "' must be 1 to 64 letters, digits, '_' or '-'");
    }
    StrictJson.parseObject(parametersSchema, "the parameters schema of tool '" + name + "'", IllegalArgumentException::new);
  }

  /** A tool without arguments. */
  public static Tool withoutArguments(String name, String description) {
    return new Tool(name, description, "{\"type\":\"object\",\"properties\":{}}");
  }
}
