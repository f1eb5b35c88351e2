package dev.gemma4j;

import dev.gemma4j.internal.StrictJson;
import dev.gemma4j.tools.Tool;
import dev.gemma4j.tools.ToolCalling;
import dev.gemma4j.tools.ToolChoice;
import java.util.List;
import java.util.Objects;

/**
 * What shape the generated text must have: free text, or a constraint applied as a token mask at every step
 * so the output is guaranteed to match it whenever it ends by the model's choice (an output cut off by
 * {@link GenerationConfig#maxNewTokens()} can be incomplete). A constraint is compiled once per engine and
 * reused by every request that gives an equal one. Immutable; equal when kind and specification are.
 *
 * <p>{@link #jsonSchema} supports the JSON Schema an agent framework sends (see
 * {@code docs/structured-output.md} for the list); a keyword it does not support is refused when the request
 * is submitted, naming it, never ignored.
 */
public final class ResponseFormat {
  /** The kinds of format. */
  public enum Kind {
    /** Any text. */
    TEXT,
    /** Any JSON object. */
    JSON_OBJECT,
    /** JSON text that a JSON Schema accepts. */
    JSON_SCHEMA,
    /** Text a regular expression matches in full. */
    REGEX,
    /** Exactly one of a list of strings. */
    CHOICE,
    /** Calls of tools, written as {@link ToolCalling} documents; see {@link #toolCalls}. */
    TOOL_CALLS
  }

  private static final ResponseFormat TEXT = new ResponseFormat(Kind.TEXT, "", List.of());
  private static final ResponseFormat JSON_OBJECT = new ResponseFormat(Kind.JSON_OBJECT, "", List.of());

  private final Kind kind;
  private final String specification;
  private final List<String> choices;

  private ResponseFormat(Kind kind, String specification, List<String> choices) {
    this.kind = kind;
    this.specification = specification;
    this.choices = List.copyOf(choices);
  }

  /** Free text: no constraint (the default). */
  public static ResponseFormat text() {
    return TEXT;
  }

  /** Any JSON object (OpenAI's {@code json_object}). */
  public static ResponseFormat jsonObject() {
    return JSON_OBJECT;
  }

  /**
   * JSON that {@code schema} accepts.
   *
   * @param schema a JSON Schema document
   * @throws IllegalArgumentException when {@code schema} is not a JSON object; whether its keywords are
   *     supported is checked when a request is submitted
   */
  public static ResponseFormat jsonSchema(String schema) {
    StrictJson.parseObject(schema, "the JSON schema", IllegalArgumentException::new);
    return new ResponseFormat(Kind.JSON_SCHEMA, schema, List.of());
  }

  /**
   * Text that {@code pattern} matches in full ({@code ^} and {@code $} are implied).
   *
   * @throws IllegalArgumentException when {@code pattern} is empty
   */
  public static ResponseFormat regex(String pattern) {
    if (pattern.isEmpty()) {
      throw new IllegalArgumentException("the regular expression is empty; give a pattern the output must match");
    }
    return new ResponseFormat(Kind.REGEX, pattern, List.of());
  }

  /**
   * Exactly one of {@code choices}.
   *
   * @throws IllegalArgumentException when there are none or one is empty
   */
  public static ResponseFormat choice(List<String> choices) {
    if (choices.isEmpty() || choices.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("a choice needs at least one option, and no empty one");
    }
    return new ResponseFormat(Kind.CHOICE, "", choices);
  }

  /**
   * Calls of {@code tools} in the format {@link ToolCalling} documents, as {@code choice} asks: with
   * {@link ToolChoice#auto()} the text is free until the model opens a call, then constrained to a call of
   * one of the tools with arguments their schemas accept; with {@link ToolChoice#required()} or a named
   * function the output is one or more calls from the start; {@link ToolChoice#none()} gives {@link #text()}.
   *
   * @throws IllegalArgumentException when {@code tools} is empty, or the choice names a function not among them
   */
  public static ResponseFormat toolCalls(List<Tool> tools, ToolChoice choice) {
    return toolCalls(tools, choice, true);
  }

  /**
   * Like {@link #toolCalls(List, ToolChoice)}; {@code parallelCalls} false allows one call per response
   * (OpenAI's {@code parallel_tool_calls}).
   */
  public static ResponseFormat toolCalls(List<Tool> tools, ToolChoice choice, boolean parallelCalls) {
    if (choice.mode() == ToolChoice.Mode.NONE) {
      return TEXT;
    }
    if (tools.isEmpty()) {
      throw new IllegalArgumentException("tool calls need at least one tool");
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    com.google.gson.JsonArray list = new com.google.gson.JsonArray();
    for (Tool tool : tools) {
      if (!names.add(tool.name())) {
        throw new IllegalArgumentException("two tools are named '" + tool.name() + "'; tool names must differ");
      }
      if (choice.function() == null || choice.function().equals(tool.name())) {
        com.google.gson.JsonObject t = new com.google.gson.JsonObject();
        t.addProperty("name", tool.name());
        t.add("parameters", com.google.gson.JsonParser.parseString(tool.parametersSchema()));
        list.add(t);
      }
    }
    if (list.isEmpty()) {
      throw new IllegalArgumentException("the tool choice names '" + choice.function() + "', which is not among the"
          + " tools " + names);
    }
    com.google.gson.JsonObject spec = new com.google.gson.JsonObject();
    spec.addProperty("lazy", choice.mode() == ToolChoice.Mode.AUTO);
    spec.addProperty("parallel", parallelCalls);
    spec.add("tools", list);
    return new ResponseFormat(Kind.TOOL_CALLS, spec.toString(), List.of());
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** Whether this format constrains the output (anything but {@link Kind#TEXT}). */
  public boolean constrains() {
    return kind != Kind.TEXT;
  }

  /**
   * The schema of {@link Kind#JSON_SCHEMA}, the pattern of {@link Kind#REGEX}, the tools of
   * {@link Kind#TOOL_CALLS} (as JSON), else empty.
   */
  public String specification() {
    return specification;
  }

  /** The options of {@link Kind#CHOICE}, else empty. */
  public List<String> choices() {
    return choices;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ResponseFormat other
        && kind == other.kind
        && specification.equals(other.specification)
        && choices.equals(other.choices);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, specification, choices);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case TEXT, JSON_OBJECT -> kind.name().toLowerCase(java.util.Locale.ROOT);
      case CHOICE -> "choice" + choices;
      default -> kind.name().toLowerCase(java.util.Locale.ROOT) + "(" + abbreviated(specification) + ")";
    };
  }

  private static String abbreviated(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
