package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.tools.ToolCall;
import dev.gemma4j.tools.ToolCalling;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The JSON of OpenAI's completion responses and streamed chunks, with vLLM's extras. */
final class Responses {
  private Responses() {}

  /** OpenAI's {@code finish_reason}: {@code stop}, {@code length}, or vLLM's {@code abort} for a cancelled request. */
  static String finishReason(FinishReason reason) {
    return switch (reason) {
      case STOP_TOKEN, STOP_STRING -> "stop";
      case LENGTH, TIMEOUT -> "length";
      case CANCELLED -> "abort";
    };
  }

  static JsonObject usage(int promptTokens, int completionTokens) {
    JsonObject usage = new JsonObject();
    usage.addProperty("prompt_tokens", promptTokens);
    usage.addProperty("completion_tokens", completionTokens);
    usage.addProperty("total_tokens", promptTokens + completionTokens);
    return usage;
  }

  /**
   * The usage of a finished generation, with OpenAI's {@code prompt_tokens_details.cached_tokens}: the prompt
   * tokens whose keys and values came from the prefix cache.
   */
  static JsonObject usage(Generation generation) {
    JsonObject usage = usage(generation.promptIds().size(), generation.tokenIds().size());
    JsonObject details = new JsonObject();
    details.addProperty("cached_tokens", generation.stats().cachedPromptTokens());
    usage.add("prompt_tokens_details", details);
    return usage;
  }

  /**
   * A whole (not streamed) response.
   *
   * @param toolCalls the request offered tools: calls in the text become {@code message.tool_calls}
   * @param logprobs writes the log probabilities when the request asked for them, else {@code null}
   */
  static JsonObject whole(ResponseHeader header, Generation generation, boolean tokenIds, boolean toolCalls,
      @Nullable LogprobsJson logprobs) {
    JsonObject choice = new JsonObject();
    choice.addProperty("index", 0);
    String finishReason = finishReason(generation.finishReason());
    if (header.operation() == Operation.CHAT) {
      JsonObject message = new JsonObject();
      message.addProperty("role", "assistant");
      ToolCalling.Parsed parsed = toolCalls ? ToolCalling.parse(generation.text()) : null;
      if (parsed != null && !parsed.calls().isEmpty()) {
        message.addProperty("content", parsed.content());
        message.add("tool_calls", toolCalls(parsed.calls(), false));
        finishReason = "tool_calls";
      } else {
        message.addProperty("content", generation.text());
      }
      message.add("refusal", JsonNull.INSTANCE);
      choice.add("message", message);
    } else {
      choice.addProperty("text", generation.text());
    }
    choice.add("logprobs", logprobs == null || generation.logprobs().isEmpty() ? JsonNull.INSTANCE
        : logprobs.json(header.operation(), generation.logprobs(), 0));
    choice.addProperty("finish_reason", finishReason);
    if (tokenIds) {
      choice.add("token_ids", ids(generation.tokenIds()));
    }
    JsonObject response = header.object(header.operation().object());
    JsonArray choices = new JsonArray();
    choices.add(choice);
    response.add("choices", choices);
    response.add("usage", usage(generation));
    if (tokenIds) {
      response.add("prompt_token_ids", ids(generation.promptIds()));
    }
    return response;
  }

  /**
   * A streamed chunk with one choice.
   *
   * @param role the chat role, sent in the first chunk only
   * @param finishReason set in the last chunk only
   * @param usage the usage so far, JSON null, or {@code null} to leave the field out
   */
  static JsonObject chunk(
      ResponseHeader header,
      @Nullable String role,
      String text,
      @Nullable String finishReason,
      @Nullable List<Integer> tokenIds,
      com.google.gson.@Nullable JsonElement usage) {
    JsonObject choice = new JsonObject();
    choice.addProperty("index", 0);
    if (header.operation() == Operation.CHAT) {
      JsonObject delta = new JsonObject();
      if (role != null) {
        delta.addProperty("role", role);
      }
      if (role != null || !text.isEmpty() || finishReason == null) {
        delta.addProperty("content", text);
      }
      choice.add("delta", delta);
    } else {
      choice.addProperty("text", text);
    }
    choice.add("logprobs", JsonNull.INSTANCE);
    choice.add("finish_reason", finishReason == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(finishReason));
    if (tokenIds != null) {
      choice.add("token_ids", ids(tokenIds));
    }
    JsonObject chunk = header.object(header.operation().chunkObject());
    JsonArray choices = new JsonArray();
    choices.add(choice);
    chunk.add("choices", choices);
    if (usage != null) {
      chunk.add("usage", usage);
    }
    return chunk;
  }

  /** OpenAI's {@code tool_calls} array; a streamed delta numbers its calls with {@code index}. */
  static JsonArray toolCalls(List<ToolCall> calls, boolean streamed) {
    JsonArray array = new JsonArray();
    for (int i = 0; i < calls.size(); i++) {
      ToolCall call = calls.get(i);
      JsonObject json = new JsonObject();
      if (streamed) {
        json.addProperty("index", i);
      }
      json.addProperty("id", call.id());
      json.addProperty("type", "function");
      JsonObject function = new JsonObject();
      function.addProperty("name", call.name());
      function.addProperty("arguments", call.arguments());
      json.add("function", function);
      array.add(json);
    }
    return array;
  }

  /** A streamed chunk whose delta carries the response's tool calls. */
  static JsonObject toolCallsChunk(ResponseHeader header, List<ToolCall> calls, com.google.gson.@Nullable JsonElement usage) {
    JsonObject chunk = chunk(header, null, "", null, null, usage);
    JsonObject delta = new JsonObject();
    delta.add("tool_calls", toolCalls(calls, true));
    chunk.getAsJsonArray("choices").get(0).getAsJsonObject().add("delta", delta);
    return chunk;
  }

  /** The chunk after the last choice chunk when the client asked for usage: no choices, the usage. */
  static JsonObject usageChunk(ResponseHeader header, List<Generation> choices) {
    JsonObject chunk = header.object(header.operation().chunkObject());
    chunk.add("choices", new JsonArray());
    chunk.add("usage", usage(choices));
    return chunk;
  }

  /** The usage of a request's choices: the prompt once, the completion tokens of all of them. */
  static JsonObject usage(List<Generation> choices) {
    JsonObject usage = usage(choices.getFirst());
    int completion = choices.stream().mapToInt(g -> g.tokenIds().size()).sum();
    usage.addProperty("completion_tokens", completion);
    usage.addProperty("total_tokens", choices.getFirst().promptIds().size() + completion);
    return usage;
  }

  /** A whole response with one choice per generation. */
  static JsonObject whole(ResponseHeader header, List<Generation> choices, boolean tokenIds, boolean toolCalls,
      @Nullable LogprobsJson logprobs) {
    JsonObject response = whole(header, choices.getFirst(), tokenIds, toolCalls, logprobs);
    JsonArray all = response.getAsJsonArray("choices");
    for (int i = 1; i < choices.size(); i++) {
      JsonObject choice = whole(header, choices.get(i), tokenIds, toolCalls, logprobs).getAsJsonArray("choices")
          .get(0).getAsJsonObject();
      choice.addProperty("index", i);
      all.add(choice);
    }
    response.add("usage", usage(choices));
    return response;
  }

  static JsonArray ids(List<Integer> ids) {
    JsonArray array = new JsonArray(ids.size());
    ids.forEach(array::add);
    return array;
  }

  /** What every response and chunk of one request begins with. */
  record ResponseHeader(Operation operation, String id, long created, String model) {
    JsonObject object(String object) {
      JsonObject json = new JsonObject();
      json.addProperty("id", id);
      json.addProperty("object", object);
      json.addProperty("created", created);
      json.addProperty("model", model);
      return json;
    }
  }
}
