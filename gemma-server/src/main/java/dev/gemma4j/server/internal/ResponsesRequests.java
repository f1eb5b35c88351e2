package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Set;

/**
 * OpenAI's Responses API requests ({@code POST /v1/responses}) as the chat completion requests they ask for,
 * so one parser checks both: {@code input} (text, or messages, function calls and their outputs),
 * {@code instructions}, function {@code tools}, {@code tool_choice}, {@code text.format},
 * {@code max_output_tokens}, sampling. The server keeps no state: {@code previous_response_id} and
 * conversations are refused, {@code store} is accepted and nothing is stored.
 */
final class ResponsesRequests {
  private static final Set<String> FIELDS = Set.of("model", "input", "instructions", "tools", "tool_choice", "text",
      "max_output_tokens", "temperature", "top_p", "stream", "parallel_tool_calls", "store", "metadata", "user",
      "service_tier", "prompt_cache_key", "safety_identifier", "truncation", "top_logprobs", "include",
      "previous_response_id", "conversation", "reasoning", "background", "stream_options");

  private ResponsesRequests() {}

  /** The chat completion request that {@code request} asks for. */
  static JsonObject toChat(JsonObject request) {
    for (String name : request.keySet()) {
      if (!FIELDS.contains(name)) {
        throw ApiError.badRequest("'" + name + "' is not a field this server knows for responses; remove it (it"
            + " would not be honoured)", name);
      }
    }
    JsonFields fields = new JsonFields(request);
    for (String stateful : new String[] {"previous_response_id", "conversation", "background"}) {
      if (fields.has(stateful) && !(request.get(stateful) instanceof JsonPrimitive p && p.isBoolean() && !p.getAsBoolean())) {
        throw ApiError.unsupported(stateful, "'" + stateful + "' (this server keeps no responses or conversations:"
            + " send the whole input each time)");
      }
    }
    if (fields.has("reasoning")) {
      throw ApiError.unsupported("reasoning", "'reasoning' (Gemma has no reasoning effort setting)");
    }
    JsonObject chat = new JsonObject();
    copy(request, chat, "model", "model");
    copy(request, chat, "temperature", "temperature");
    copy(request, chat, "top_p", "top_p");
    copy(request, chat, "max_output_tokens", "max_tokens");
    copy(request, chat, "parallel_tool_calls", "parallel_tool_calls");
    copy(request, chat, "user", "user");
    copy(request, chat, "metadata", "metadata");
    copy(request, chat, "service_tier", "service_tier");
    if (fields.has("top_logprobs")) {
      chat.addProperty("logprobs", true);
      copy(request, chat, "top_logprobs", "top_logprobs");
    }
    chat.add("messages", messages(request, fields));
    JsonElement tools = request.get("tools");
    if (tools != null && !tools.isJsonNull()) {
      chat.add("tools", tools(tools));
    }
    JsonElement choice = request.get("tool_choice");
    if (choice != null && !choice.isJsonNull()) {
      chat.add("tool_choice", toolChoice(choice));
    }
    JsonObject text = fields.object("text");
    if (text != null && new JsonFields(text).object("format") != null) {
      chat.add("response_format", format(new JsonFields(text).object("format")));
    }
    return chat;
  }

  private static JsonArray messages(JsonObject request, JsonFields fields) {
    JsonArray messages = new JsonArray();
    String instructions = fields.string("instructions");
    if (instructions != null) {
      messages.add(message("system", instructions));
    }
    JsonElement input = request.get("input");
    if (input instanceof JsonPrimitive p && p.isString()) {
      messages.add(message("user", p.getAsString()));
      return messages;
    }
    if (!(input instanceof JsonArray items) || items.isEmpty()) {
      throw ApiError.badRequest("'input' must be a string or a non-empty array of items", "input");
    }
    JsonObject pendingCalls = null;
    for (int i = 0; i < items.size(); i++) {
      if (!(items.get(i) instanceof JsonObject item)) {
        throw ApiError.badRequest("input[" + i + "] must be an object", "input");
      }
      JsonFields f = new JsonFields(item);
      String type = f.string("type");
      if (type == null || type.equals("message")) {
        pendingCalls = null;
        JsonObject m = new JsonObject();
        m.addProperty("role", f.string("role") == null ? "user" : f.string("role"));
        m.add("content", content(item.get("content"), "input[" + i + "]"));
        messages.add(m);
      } else if (type.equals("function_call")) {
        if (pendingCalls == null) {
          pendingCalls = new JsonObject();
          pendingCalls.addProperty("role", "assistant");
          pendingCalls.add("tool_calls", new JsonArray());
          messages.add(pendingCalls);
        }
        JsonObject call = new JsonObject();
        call.addProperty("id", f.string("call_id"));
        call.addProperty("type", "function");
        JsonObject function = new JsonObject();
        function.addProperty("name", f.string("name"));
        function.addProperty("arguments", f.string("arguments"));
        call.add("function", function);
        pendingCalls.getAsJsonArray("tool_calls").add(call);
      } else if (type.equals("function_call_output")) {
        pendingCalls = null;
        JsonObject m = new JsonObject();
        m.addProperty("role", "tool");
        m.addProperty("tool_call_id", f.string("call_id"));
        JsonElement output = item.get("output");
        m.add("content", output instanceof JsonPrimitive ? output : content(output, "input[" + i + "]"));
        messages.add(m);
      } else {
        throw ApiError.unsupported("input", "input items of type '" + type + "' (messages, function_call and"
            + " function_call_output are)");
      }
    }
    return messages;
  }

  /** Content as a string, or parts of input_text / output_text as chat text parts. */
  private static JsonElement content(JsonElement content, String where) {
    if (content instanceof JsonPrimitive p && p.isString()) {
      return p;
    }
    if (!(content instanceof JsonArray parts)) {
      throw ApiError.badRequest(where + ".content must be a string or an array of parts", "input");
    }
    JsonArray out = new JsonArray();
    for (JsonElement part : parts) {
      JsonObject o = part.isJsonObject() ? part.getAsJsonObject() : new JsonObject();
      String type = new JsonFields(o).string("type");
      if (!"input_text".equals(type) && !"output_text".equals(type) && !"text".equals(type)) {
        throw ApiError.badRequest(where + " has a '" + type + "' part; this server reads text parts only"
            + (type != null && type.contains("image") ? " (image input is not supported)" : ""), "input");
      }
      JsonObject text = new JsonObject();
      text.addProperty("type", "text");
      text.add("text", o.get("text"));
      out.add(text);
    }
    return out;
  }

  private static JsonArray tools(JsonElement tools) {
    if (!(tools instanceof JsonArray array)) {
      throw ApiError.badRequest("'tools' must be an array", "tools");
    }
    JsonArray out = new JsonArray();
    for (JsonElement t : array) {
      JsonObject tool = t.isJsonObject() ? t.getAsJsonObject() : new JsonObject();
      String type = new JsonFields(tool).string("type");
      if (!"function".equals(type)) {
        throw ApiError.unsupported("tools", "tools of type '" + type + "' (function tools are)");
      }
      JsonObject function = new JsonObject();
      for (String key : new String[] {"name", "description", "parameters"}) {
        if (tool.has(key)) {
          function.add(key, tool.get(key));
        }
      }
      JsonObject chatTool = new JsonObject();
      chatTool.addProperty("type", "function");
      chatTool.add("function", function);
      out.add(chatTool);
    }
    return out;
  }

  private static JsonElement toolChoice(JsonElement choice) {
    if (choice instanceof JsonObject o && "function".equals(new JsonFields(o).string("type"))) {
      JsonObject function = new JsonObject();
      function.add("name", o.get("name"));
      JsonObject chat = new JsonObject();
      chat.addProperty("type", "function");
      chat.add("function", function);
      return chat;
    }
    return choice;
  }

  private static JsonObject format(JsonObject format) {
    JsonFields f = new JsonFields(format);
    String type = f.string("type");
    JsonObject chat = new JsonObject();
    chat.addProperty("type", type == null ? "text" : type);
    if ("json_schema".equals(type)) {
      JsonObject schema = new JsonObject();
      schema.addProperty("name", f.string("name") == null ? "response" : f.string("name"));
      schema.add("schema", format.get("schema"));
      chat.add("json_schema", schema);
    }
    return chat;
  }

  private static JsonObject message(String role, String text) {
    JsonObject m = new JsonObject();
    m.addProperty("role", role);
    m.addProperty("content", text);
    return m;
  }

  private static void copy(JsonObject from, JsonObject to, String name, String as) {
    JsonElement value = from.get(name);
    if (value != null && !value.isJsonNull()) {
      to.add(as, value);
    }
  }
}
