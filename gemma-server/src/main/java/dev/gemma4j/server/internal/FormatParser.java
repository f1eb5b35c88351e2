package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.internal.remote.RequestBodies;
import dev.gemma4j.tools.Tool;
import dev.gemma4j.tools.ToolChoice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads what shape a request asks its output to have, in each dialect clients speak: OpenAI's
 * {@code response_format} ({@code text}, {@code json_object}, {@code json_schema}) and {@code tools} with
 * {@code tool_choice}; vLLM's {@code structured_outputs} ({@code json}, {@code regex}, {@code choice},
 * {@code json_object}) and its older {@code guided_json}, {@code guided_regex}, {@code guided_choice};
 * llama-server's {@code json_schema}. At most one constraint per request; grammars in GBNF or EBNF are
 * refused with the forms that work.
 */
final class FormatParser {
  /** The fields this class reads, for the request's check of unknown fields. */
  static final List<String> FIELDS = List.of("response_format", "structured_outputs", "guided_json", "guided_regex",
      "guided_choice", "guided_grammar", "guided_decoding_backend", "guided_whitespace_pattern", "json_schema",
      "grammar", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
      RequestBodies.TOOL_CALLS_FIELD);
  static final int MAX_TOOLS = 128;

  private FormatParser() {}

  /**
   * The tools a chat request offers and whether it must call them.
   *
   * @param tools the tools, empty when none
   * @param choice none, auto, required or a named function ({@code none} when there are no tools)
   * @param parallel whether a response may hold several calls ({@code parallel_tool_calls})
   */
  record Tools(List<Tool> tools, ToolChoice choice, boolean parallel) {
    static final Tools NONE = new Tools(List.of(), ToolChoice.none(), true);

    boolean enabled() {
      return !tools.isEmpty() && choice.mode() != ToolChoice.Mode.NONE;
    }

    ResponseFormat format() {
      return ResponseFormat.toolCalls(tools, choice, parallel);
    }
  }

  /** The request's constraint on free output (not tools): {@link ResponseFormat#text()} when none. */
  static ResponseFormat format(JsonFields fields) {
    Map<String, ResponseFormat> given = new LinkedHashMap<>();
    JsonObject responseFormat = fields.object("response_format");
    if (responseFormat != null) {
      ResponseFormat f = openAiFormat(responseFormat);
      if (f.constrains()) {
        given.put("response_format", f);
      }
    }
    JsonObject structured = fields.object("structured_outputs");
    if (structured != null) {
      given.put("structured_outputs", structuredOutputs(structured));
    }
    if (fields.has("guided_json")) {
      given.put("guided_json", schema(fields.get("guided_json"), "guided_json"));
    }
    if (fields.has("guided_regex")) {
      given.put("guided_regex", regex(fields.string("guided_regex"), "guided_regex"));
    }
    if (fields.has("guided_choice")) {
      given.put("guided_choice", choice(fields.get("guided_choice"), "guided_choice"));
    }
    JsonObject toolCalls = fields.object(RequestBodies.TOOL_CALLS_FIELD);
    if (toolCalls != null) {
      given.put(RequestBodies.TOOL_CALLS_FIELD, toolCallFormat(toolCalls));
    }
    if (fields.has("json_schema")) {
      given.put("json_schema", schema(fields.get("json_schema"), "json_schema"));
    }
    for (String grammar : List.of("grammar", "guided_grammar")) {
      if (fields.has(grammar)) {
        throw ApiError.unsupported(grammar, "'" + grammar + "' (a GBNF or EBNF grammar; give the output's shape as a"
            + " JSON schema, a regex or a choice: 'response_format', 'structured_outputs' or 'guided_json',"
            + " 'guided_regex', 'guided_choice')");
      }
    }
    if (fields.has("guided_whitespace_pattern")) {
      throw ApiError.unsupported("guided_whitespace_pattern", "'guided_whitespace_pattern' (whitespace between JSON"
          + " tokens is up to 16 spaces, tabs or newlines)");
    }
    if (given.size() > 1) {
      throw ApiError.badRequest("the request constrains its output in several ways " + given.keySet() + "; give one",
          given.keySet().iterator().next());
    }
    return given.isEmpty() ? ResponseFormat.text() : given.values().iterator().next();
  }

  /**
   * The tool-call format gemma4j's remote engine sends when the prompt describes the tools already:
   * {@code {"tools": [{"name": ..., "parameters": {...}}], "lazy": true|false, "parallel": true|false}}.
   */
  private static ResponseFormat toolCallFormat(JsonObject spec) {
    String field = RequestBodies.TOOL_CALLS_FIELD;
    try {
      List<Tool> tools = new ArrayList<>();
      for (JsonElement t : spec.getAsJsonArray("tools")) {
        JsonObject tool = t.getAsJsonObject();
        tools.add(new Tool(tool.get("name").getAsString(), "", tool.get("parameters").toString()));
      }
      boolean lazy = spec.get("lazy").getAsBoolean();
      return ResponseFormat.toolCalls(tools, lazy ? ToolChoice.auto() : ToolChoice.required(),
          spec.get("parallel").getAsBoolean());
    } catch (RuntimeException e) {
      throw ApiError.badRequest("'" + field + "' must be {\"tools\": [{\"name\": ..., \"parameters\": {...}}],"
          + " \"lazy\": ..., \"parallel\": ...}: " + e.getMessage(), field);
    }
  }

  private static ResponseFormat openAiFormat(JsonObject format) {
    JsonFields f = new JsonFields(format);
    String type = f.string("type");
    if (type == null) {
      throw ApiError.badRequest("'response_format' needs a 'type': text, json_object or json_schema", "response_format");
    }
    return switch (type) {
      case "text" -> ResponseFormat.text();
      case "json_object" -> ResponseFormat.jsonObject();
      case "json_schema" -> {
        JsonObject jsonSchema = f.object("json_schema");
        if (jsonSchema == null || !new JsonFields(jsonSchema).has("schema")) {
          throw ApiError.badRequest("'response_format' of type json_schema needs 'json_schema': {\"name\": ...,"
              + " \"schema\": {...}}", "response_format");
        }
        yield schema(jsonSchema.get("schema"), "response_format.json_schema.schema");
      }
      default -> throw ApiError.badRequest("'response_format.type' is '" + type + "'; it must be text, json_object or"
          + " json_schema", "response_format");
    };
  }

  private static ResponseFormat structuredOutputs(JsonObject structured) {
    JsonFields f = new JsonFields(structured);
    List<ResponseFormat> formats = new ArrayList<>();
    for (String key : structured.keySet()) {
      if (structured.get(key).isJsonNull()) {
        continue;
      }
      switch (key) {
        case "json" -> formats.add(schema(structured.get("json"), "structured_outputs.json"));
        case "regex" -> formats.add(regex(f.string("regex"), "structured_outputs.regex"));
        case "choice" -> formats.add(choice(structured.get("choice"), "structured_outputs.choice"));
        case "json_object" -> {
          if (Boolean.TRUE.equals(f.bool("json_object"))) {
            formats.add(ResponseFormat.jsonObject());
          }
        }
        case "disable_fallback", "disable_any_whitespace", "disable_additional_properties", "whitespace_pattern",
            "backend" -> {
          // choices of vLLM's implementation; this one has one behaviour (bounded whitespace, no extra properties)
        }
        case "grammar", "structural_tag" -> throw ApiError.unsupported("structured_outputs",
            "'structured_outputs." + key + "' (give a JSON schema, a regex or a choice)");
        default -> throw ApiError.badRequest("'structured_outputs' has the unknown field '" + key + "'; it takes json,"
            + " regex, choice or json_object", "structured_outputs");
      }
    }
    if (formats.size() != 1) {
      throw ApiError.badRequest("'structured_outputs' must give exactly one of json, regex, choice or json_object",
          "structured_outputs");
    }
    return formats.getFirst();
  }

  /** A schema given as a JSON object or as a string holding one. */
  private static ResponseFormat schema(@Nullable JsonElement schema, String field) {
    String text;
    if (schema instanceof JsonPrimitive p && p.isString()) {
      text = p.getAsString();
    } else if (schema != null && schema.isJsonObject()) {
      text = schema.toString();
    } else {
      throw ApiError.badRequest("'" + field + "' must be a JSON schema (an object, or a string holding one)", field);
    }
    try {
      return ResponseFormat.jsonSchema(text);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("'" + field + "': " + e.getMessage(), field);
    }
  }

  private static ResponseFormat regex(@Nullable String pattern, String field) {
    if (pattern == null || pattern.isEmpty()) {
      throw ApiError.badRequest("'" + field + "' must be a non-empty regular expression", field);
    }
    return ResponseFormat.regex(pattern);
  }

  private static ResponseFormat choice(@Nullable JsonElement choices, String field) {
    if (!(choices instanceof JsonArray array) || array.isEmpty() || array.size() > 1024) {
      throw ApiError.badRequest("'" + field + "' must be an array of 1 to 1024 strings", field);
    }
    List<String> options = new ArrayList<>();
    for (JsonElement e : array) {
      if (!(e instanceof JsonPrimitive p) || !p.isString() || p.getAsString().isEmpty()) {
        throw ApiError.badRequest("'" + field + "' must hold non-empty strings, found " + e, field);
      }
      options.add(p.getAsString());
    }
    return ResponseFormat.choice(options);
  }

  /** The tools of a chat request and its tool choice. */
  static Tools tools(JsonFields fields) {
    for (String legacy : List.of("functions", "function_call")) {
      if (fields.has(legacy)) {
        throw ApiError.unsupported(legacy, "'" + legacy + "' (the deprecated form; send 'tools' and 'tool_choice')");
      }
    }
    JsonElement list = fields.get("tools");
    List<Tool> tools = new ArrayList<>();
    if (list != null) {
      if (!(list instanceof JsonArray array) || array.size() > MAX_TOOLS) {
        throw ApiError.badRequest("'tools' must be an array of at most " + MAX_TOOLS + " tools", "tools");
      }
      for (int i = 0; i < array.size(); i++) {
        tools.add(tool(array.get(i), "tools[" + i + "]"));
      }
    }
    ToolChoice choice = toolChoice(fields.get("tool_choice"), tools);
    return new Tools(tools, choice, !Boolean.FALSE.equals(fields.bool("parallel_tool_calls")));
  }

  private static Tool tool(JsonElement element, String where) {
    if (!(element instanceof JsonObject o) || !"function".equals(stringOrNull(o.get("type")))
        || !(o.get("function") instanceof JsonObject function)) {
      throw ApiError.badRequest(where + " must be {\"type\": \"function\", \"function\": {\"name\": ..., \"parameters\":"
          + " {...}}}", "tools");
    }
    String name = stringOrNull(function.get("name"));
    if (name == null) {
      throw ApiError.badRequest(where + ".function has no 'name'", "tools");
    }
    String description = stringOrNull(function.get("description"));
    JsonElement parameters = function.get("parameters");
    if (parameters != null && !parameters.isJsonNull() && !parameters.isJsonObject()) {
      throw ApiError.badRequest(where + ".function.parameters must be a JSON schema object", "tools");
    }
    try {
      return parameters == null || parameters.isJsonNull()
          ? Tool.withoutArguments(name, description == null ? "" : description)
          : new Tool(name, description == null ? "" : description, parameters.toString());
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(where + ": " + e.getMessage(), "tools");
    }
  }

  private static ToolChoice toolChoice(@Nullable JsonElement choice, List<Tool> tools) {
    if (choice == null) {
      return tools.isEmpty() ? ToolChoice.none() : ToolChoice.auto();
    }
    if (choice instanceof JsonPrimitive p && p.isString()) {
      ToolChoice parsed = switch (p.getAsString()) {
        case "none" -> ToolChoice.none();
        case "auto" -> ToolChoice.auto();
        case "required" -> ToolChoice.required();
        default -> throw ApiError.badRequest("'tool_choice' is '" + p.getAsString() + "'; it must be none, auto,"
            + " required or {\"type\": \"function\", \"function\": {\"name\": ...}}", "tool_choice");
      };
      if (parsed.mode() != ToolChoice.Mode.NONE && tools.isEmpty()) {
        throw ApiError.badRequest("'tool_choice' is '" + p.getAsString() + "' but the request has no 'tools'", "tool_choice");
      }
      return parsed;
    }
    if (choice instanceof JsonObject o && o.get("function") instanceof JsonObject f && stringOrNull(f.get("name")) != null) {
      String name = stringOrNull(f.get("name"));
      if (tools.stream().noneMatch(t -> t.name().equals(name))) {
        throw ApiError.badRequest("'tool_choice' names the function '" + name + "', which is not among the 'tools'",
            "tool_choice");
      }
      return ToolChoice.function(name);
    }
    throw ApiError.badRequest("'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\":"
        + " {\"name\": ...}}", "tool_choice");
  }

  private static @Nullable String stringOrNull(@Nullable JsonElement e) {
    return e instanceof JsonPrimitive p && p.isString() ? p.getAsString() : null;
  }
}
