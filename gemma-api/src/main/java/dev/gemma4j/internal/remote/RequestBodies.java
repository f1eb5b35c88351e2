package dev.gemma4j.internal.remote;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.ChatMessage;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import java.util.List;

/**
 * A prompt and a generation config as an OpenAI request: chat prompts to {@code /chat/completions}, text
 * and token ids to {@code /completions}; always streamed with usage; vLLM's extra fields where OpenAI
 * has none ({@code top_k}, {@code min_p}, {@code repetition_penalty}, {@code stop_token_ids}, {@code min_tokens}, {@code include_stop_str_in_output},
 * {@code ignore_eos}, {@code return_token_ids}), which servers that do not know them ignore.
 */
public final class RequestBodies {
  private RequestBodies() {}

  /**
   * The response format in the fields servers read: OpenAI's {@code response_format} for JSON, vLLM's
   * {@code structured_outputs} for a regex or a choice, and gemma serve's {@code gemma4j_tool_calls} for tool
   * calls (whose tools the prompt already describes).
   */
  private static void responseFormat(ResponseFormat format, JsonObject body) {
    switch (format.kind()) {
      case TEXT -> {}
      case JSON_OBJECT -> {
        JsonObject f = new JsonObject();
        f.addProperty("type", "json_object");
        body.add("response_format", f);
      }
      case JSON_SCHEMA -> {
        JsonObject schema = new JsonObject();
        schema.addProperty("name", "response");
        schema.add("schema", JsonParser.parseString(format.specification()));
        schema.addProperty("strict", true);
        JsonObject f = new JsonObject();
        f.addProperty("type", "json_schema");
        f.add("json_schema", schema);
        body.add("response_format", f);
      }
      case REGEX -> {
        JsonObject f = new JsonObject();
        f.addProperty("regex", format.specification());
        body.add("structured_outputs", f);
      }
      case CHOICE -> {
        JsonObject f = new JsonObject();
        JsonArray choices = new JsonArray();
        format.choices().forEach(choices::add);
        f.add("choice", choices);
        body.add("structured_outputs", f);
      }
      case TOOL_CALLS -> body.add(TOOL_CALLS_FIELD, JsonParser.parseString(format.specification()));
    }
  }

  /** gemma serve's field for a tool-call format whose tools the prompt describes already. */
  public static final String TOOL_CALLS_FIELD = "gemma4j_tool_calls";

  /** The path under the base URL for a prompt. */
  static String path(Prompt prompt) {
    return prompt.messages() != null ? "/chat/completions" : "/completions";
  }

  /**
   * The request body.
   *
   * @throws GemmaException for what a remote server cannot do: a sampler of the caller's, top logits,
   *     special tokens in chat messages
   */
  static JsonObject body(String model, Prompt prompt, GenerationConfig config) {
    if (config.sampler() != null) {
      throw new GemmaException("a sampler of your own runs only in this process; a remote engine cannot use it"
          + " (leave GenerationConfig.sampler unset)");
    }
    if (config.logprobs() >= 0) {
      throw new GemmaException("log probabilities are not available from a remote engine yet (leave"
          + " GenerationConfig.logprobs at -1; gemma serve answers 'logprobs' over HTTP)");
    }
    if (config.topLogits() > 0) {
      throw new GemmaException("top logits are not available from a remote engine (set GenerationConfig.topLogits to 0)");
    }
    JsonObject body = new JsonObject();
    body.addProperty("model", model);
    List<ChatMessage> messages = prompt.messages();
    if (messages != null) {
      if (prompt.specialTokensInMessages()) {
        throw new GemmaException("a remote server reads chat messages as plain text; special tokens in messages"
            + " (Prompt.allowingSpecialTokens) cannot be sent: spell the template out in a text prompt instead");
      }
      body.add("messages", messages(messages));
    } else if (prompt.plainText() != null) {
      body.addProperty("prompt", prompt.plainText());
    } else {
      JsonArray ids = new JsonArray();
      for (int id : prompt.tokenIds()) {
        ids.add(id);
      }
      body.add("prompt", ids);
    }
    body.addProperty("max_tokens", config.maxNewTokens());
    if (config.sample()) {
      body.addProperty("temperature", config.temperature());
      if (config.topP() < 1) {
        body.addProperty("top_p", config.topP());
      }
      if (config.topK() > 0) {
        body.addProperty("top_k", config.topK());
      }
      if (config.minP() > 0) {
        body.addProperty("min_p", config.minP());
      }
    } else {
      body.addProperty("temperature", 0);
    }
    if (config.repetitionPenalty() != 1) {
      body.addProperty("repetition_penalty", config.repetitionPenalty());
    }
    if (config.seed() != null) {
      body.addProperty("seed", config.seed());
    }
    if (!config.stopStrings().isEmpty()) {
      JsonArray stop = new JsonArray();
      config.stopStrings().forEach(stop::add);
      body.add("stop", stop);
    }
    if (config.includeStopString()) {
      body.addProperty("include_stop_str_in_output", true);
    }
    if (config.minNewTokens() > 0) {
      body.addProperty("min_tokens", config.minNewTokens());
    }
    if (!config.stopTokenIds().isEmpty()) {
      JsonArray ids = new JsonArray();
      config.stopTokenIds().forEach(ids::add);
      body.add("stop_token_ids", ids);
    }
    if (config.ignoreEos()) {
      body.addProperty("ignore_eos", true);
    }
    responseFormat(config.responseFormat(), body);
    body.addProperty("return_token_ids", true);
    body.addProperty("stream", true);
    JsonObject streamOptions = new JsonObject();
    streamOptions.addProperty("include_usage", true);
    body.add("stream_options", streamOptions);
    return body;
  }

  private static JsonArray messages(List<ChatMessage> messages) {
    JsonArray array = new JsonArray();
    for (ChatMessage m : messages) {
      JsonObject message = new JsonObject();
      message.addProperty("role", switch (m.role()) {
        case SYSTEM -> "system";
        case USER -> "user";
        case MODEL -> "assistant";
      });
      message.addProperty("content", m.text());
      array.add(message);
    }
    return array;
  }
}
