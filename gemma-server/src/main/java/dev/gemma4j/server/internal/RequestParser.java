package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.gemma4j.ChatMessage;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.tools.ToolCall;
import dev.gemma4j.tools.ToolCalling;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.internal.StrictJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads an OpenAI chat or text completion request into a {@link CompletionRequest}: the fields OpenAI
 * defines that a Gemma engine can honour, and the extra sampling fields vLLM accepts ({@code top_k},
 * {@code min_p}, {@code repetition_penalty}, {@code ignore_eos}, {@code return_token_ids},
 * {@code stop_token_ids}, {@code min_tokens}, {@code include_stop_str_in_output}). Fields asking
 * for what the engine cannot do (best_of, echo, suffix, logit_bias, penalties other than repetition) are refused with a 400 naming the field, never silently ignored; so
 * is a field this server does not know.
 */
public final class RequestParser {
  /** Content-part types that carry images in OpenAI's and compatible APIs. */
  private static final java.util.Set<String> IMAGE_PARTS = java.util.Set.of("image_url", "input_image", "image");

  /** OpenAI allows 4 stop sequences; vLLM more. A bound keeps matching cheap. */
  static final int MAX_STOP_STRINGS = 16;
  static final int MAX_STOP_LENGTH = 256;
  static final int MAX_MESSAGES = 4096;
  static final int MAX_STOP_TOKEN_IDS = 256;
  /** The most choices one request may ask for ({@code n}): each is a sequence in the batch. */
  static final int MAX_CHOICES = 16;

  private final String servedModel;
  private final GenerationConfig defaults;

  /**
   * @param servedModel the model name requests must use (or leave out)
   * @param defaults the model's generation defaults, used for what a request leaves out
   */
  public RequestParser(String servedModel, GenerationConfig defaults) {
    this.servedModel = servedModel;
    this.defaults = defaults;
  }

  /**
   * Parses a request body.
   *
   * @throws ApiError 400 for malformed JSON or a bad value, 404 for another model
   */
  public CompletionRequest parse(Operation operation, String body) {
    JsonObject json = StrictJson.parseObject(body, "the request body", message -> ApiError.badRequest(message, null));
    JsonFields fields = new JsonFields(json);
    String model = fields.string("model");
    if (model != null && !model.equals(servedModel)) {
      throw ApiError.unknownModel(model, servedModel);
    }
    refuseUnknownFields(json, operation);
    refuseUnsupported(fields, operation);
    FormatParser.Tools tools = operation == Operation.CHAT ? FormatParser.tools(fields) : FormatParser.Tools.NONE;
    ResponseFormat format = FormatParser.format(fields);
    if (tools.enabled() && format.constrains()) {
      throw ApiError.badRequest("the request has both 'tools' (with a tool_choice other than none) and a constrained"
          + " output format; a response is either tool calls or formatted text: give one", "tools");
    }
    Prompt prompt = operation == Operation.CHAT ? chatPrompt(fields, tools) : textPrompt(fields);
    Long n = fields.integer("n", 1, MAX_CHOICES);
    GenerationConfig.Builder config = defaults.toBuilder().topLogits(0).sampler(null);
    Long maxTokens = fields.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
    if (maxTokens == null) {
      maxTokens = fields.integer("max_tokens", 1, Integer.MAX_VALUE);
    }
    if (maxTokens != null) {
      config.maxNewTokens(maxTokens.intValue());
    }
    sampling(fields, config);
    config.logprobs(logprobs(fields, operation));
    try {
      config.responseFormat(tools.enabled() ? tools.format() : format);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage(), "tools");
    }
    config.stopStrings(stopStrings(fields));
    config.stopTokenIds(stopTokenIds(fields));
    config.includeStopString(Boolean.TRUE.equals(fields.bool("include_stop_str_in_output")));
    Long minTokens = fields.integer("min_tokens", 0, Integer.MAX_VALUE);
    if (minTokens != null) {
      config.minNewTokens(minTokens.intValue()); // checked against max_tokens with the rest of the config
    }
    Boolean ignoreEos = fields.bool("ignore_eos");
    config.ignoreEos(ignoreEos != null && ignoreEos);
    boolean stream = Boolean.TRUE.equals(fields.bool("stream"));
    JsonObject streamOptions = fields.object("stream_options");
    if (streamOptions != null && !stream) {
      throw ApiError.badRequest("'stream_options' can only be set when 'stream' is true", "stream_options");
    }
    JsonFields options = new JsonFields(streamOptions == null ? new JsonObject() : streamOptions);
    boolean includeUsage = Boolean.TRUE.equals(options.bool("include_usage"));
    boolean continuousUsage = Boolean.TRUE.equals(options.bool("continuous_usage_stats"));
    boolean returnTokenIds = Boolean.TRUE.equals(fields.bool("return_token_ids"));
    try {
      return new CompletionRequest(
          operation, prompt, config.build(), maxTokens != null, stream, includeUsage, continuousUsage, returnTokenIds,
          tools.enabled(), n == null ? 1 : n.intValue());
    } catch (IllegalArgumentException e) {
      if (e.getMessage().startsWith("ignoreEos")) {
        throw ApiError.badRequest("'ignore_eos' cannot be combined with a constrained output ('response_format',"
            + " 'tools', 'structured_outputs'): the output ends with the end-of-sequence token once it is complete",
            "ignore_eos");
      }
      if (e.getMessage().startsWith("minNewTokens")) {
        throw ApiError.badRequest("'min_tokens' must not exceed the tokens the request may generate ('max_tokens',"
            + " or the default): " + e.getMessage(), "min_tokens");
      }
      throw ApiError.badRequest(e.getMessage(), null);
    }
  }

  /**
   * How many alternatives per token to report, or -1: chat's {@code logprobs} (true or false) with
   * {@code top_logprobs} (0 to 20); a text completion's {@code logprobs} (an integer, 0 to 5 in OpenAI's API,
   * up to 20 here as in vLLM).
   */
  private static int logprobs(JsonFields fields, Operation operation) {
    if (operation == Operation.TEXT_COMPLETION) {
      Long count = fields.integer("logprobs", 0, GenerationConfig.MAX_LOGPROBS);
      if (fields.has("top_logprobs")) {
        throw ApiError.badRequest("text completions take 'logprobs' (an integer), not 'top_logprobs'", "top_logprobs");
      }
      return count == null ? -1 : count.intValue();
    }
    boolean wanted = Boolean.TRUE.equals(fields.bool("logprobs"));
    Long top = fields.integer("top_logprobs", 0, GenerationConfig.MAX_LOGPROBS);
    if (top != null && !wanted) {
      throw ApiError.badRequest("'top_logprobs' needs 'logprobs': true", "top_logprobs");
    }
    return wanted ? (top == null ? 0 : top.intValue()) : -1;
  }

  private static void sampling(JsonFields fields, GenerationConfig.Builder config) {
    Double topP = fields.decimal("top_p", 0, 1);
    if (topP != null) {
      if (topP == 0) {
        throw ApiError.badRequest("'top_p' must be in (0, 1], was 0", "top_p");
      }
      if (topP < 1) {
        config.topP(topP);
      }
    }
    Long topK = fields.integer("top_k", -1, Integer.MAX_VALUE);
    if (topK != null && topK > 0) {
      config.topK(topK.intValue());
    }
    Double minP = fields.decimal("min_p", 0, 1);
    if (minP != null && minP > 0) {
      if (minP >= 1) {
        throw ApiError.badRequest("'min_p' must be in [0, 1), was " + minP, "min_p");
      }
      config.minP(minP);
    }
    // Last: temperature 0 means greedy whatever the filters say, as in vLLM.
    Double temperature = fields.decimal("temperature", 0, 2);
    if (temperature != null) {
      if (temperature == 0) {
        config.greedy();
      } else {
        config.temperature(temperature);
      }
    }
    Double repetition = fields.decimal(
        "repetition_penalty", GenerationConfig.MIN_REPETITION_PENALTY, GenerationConfig.MAX_REPETITION_PENALTY);
    if (repetition != null) {
      config.repetitionPenalty(repetition);
    }
    Long seed = fields.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE);
    if (seed != null) {
      config.seed(seed);
    }
  }

  /** Fields both endpoints read. */
  private static final java.util.Set<String> COMMON_FIELDS = java.util.Set.of("model", "max_tokens", "temperature",
      "top_p", "top_k", "min_p", "repetition_penalty", "seed", "stop", "stop_token_ids", "include_stop_str_in_output",
      "min_tokens", "ignore_eos", "stream", "stream_options", "return_token_ids", "n", "presence_penalty",
      "frequency_penalty", "logprobs", "top_logprobs", "logit_bias",
      // accepted, changing nothing about the output: who asks and how the caller files it
      "user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier");
  private static final java.util.Set<String> CHAT_FIELDS = java.util.Set.of("messages", "max_completion_tokens");
  private static final java.util.Set<String> COMPLETION_FIELDS = java.util.Set.of("prompt", "best_of", "echo", "suffix");

  /**
   * A field this server does not know is refused, naming it: a client that sends a parameter expects it to
   * count, and a 200 with the parameter ignored would answer a question it did not ask.
   */
  private static void refuseUnknownFields(JsonObject json, Operation operation) {
    for (String name : json.keySet()) {
      boolean known = COMMON_FIELDS.contains(name) || FormatParser.FIELDS.contains(name)
          || (operation == Operation.CHAT ? CHAT_FIELDS : COMPLETION_FIELDS).contains(name);
      if (!known) {
        throw ApiError.badRequest("'" + name + "' is not a field this server knows for "
            + (operation == Operation.CHAT ? "chat completions" : "text completions")
            + "; remove it (it would not be honoured)", name);
      }
    }
  }

  private static void refuseUnsupported(JsonFields fields, Operation operation) {
    Long bestOf = fields.integer("best_of", 1, Integer.MAX_VALUE);
    if (bestOf != null && bestOf != 1) {
      throw ApiError.unsupported("best_of", "'best_of' other than 1");
    }
    for (String penalty : List.of("presence_penalty", "frequency_penalty")) {
      Double value = fields.decimal(penalty, -2, 2);
      if (value != null && value != 0) {
        throw ApiError.unsupported(penalty, "'" + penalty + "' (use 'repetition_penalty')");
      }
    }
    if (Boolean.TRUE.equals(operation == Operation.TEXT_COMPLETION ? fields.bool("echo") : null)) {
      throw ApiError.unsupported("echo", "'echo'");
    }
    if (fields.has("suffix")) {
      throw ApiError.unsupported("suffix", "'suffix'");
    }
    if (operation == Operation.TEXT_COMPLETION && (fields.has("tools") || fields.has("tool_choice"))) {
      throw ApiError.badRequest("'tools' belong to chat completions (/v1/chat/completions), not text completions",
          "tools");
    }
    JsonElement logitBias = fields.get("logit_bias");
    if (logitBias != null && !(logitBias.isJsonObject() && logitBias.getAsJsonObject().isEmpty())) {
      throw ApiError.unsupported("logit_bias", "'logit_bias'");
    }
  }

  private static List<String> stopStrings(JsonFields fields) {
    JsonElement stop = fields.get("stop");
    if (stop == null) {
      return List.of();
    }
    List<String> result = new ArrayList<>();
    if (stop instanceof JsonPrimitive p && p.isString()) {
      result.add(p.getAsString());
    } else if (stop.isJsonArray()) {
      for (JsonElement e : stop.getAsJsonArray()) {
        if (!(e instanceof JsonPrimitive p && p.isString())) {
          throw ApiError.badRequest("'stop' must be a string or an array of strings", "stop");
        }
        result.add(p.getAsString());
      }
    } else {
      throw ApiError.badRequest("'stop' must be a string or an array of strings", "stop");
    }
    if (result.size() > MAX_STOP_STRINGS) {
      throw ApiError.badRequest("'stop' has " + result.size() + " strings; at most " + MAX_STOP_STRINGS, "stop");
    }
    for (String s : result) {
      if (s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
        throw ApiError.badRequest("each 'stop' string must have 1 to " + MAX_STOP_LENGTH + " characters", "stop");
      }
    }
    return result;
  }

  /** vLLM's {@code stop_token_ids}: generation ends after one of these tokens (it is part of the output). */
  private static java.util.Set<Integer> stopTokenIds(JsonFields fields) {
    JsonElement stop = fields.get("stop_token_ids");
    if (stop == null) {
      return java.util.Set.of();
    }
    if (!stop.isJsonArray() || stop.getAsJsonArray().size() > MAX_STOP_TOKEN_IDS) {
      throw ApiError.badRequest(
          "'stop_token_ids' must be an array of at most " + MAX_STOP_TOKEN_IDS + " token ids", "stop_token_ids");
    }
    java.util.Set<Integer> ids = new java.util.LinkedHashSet<>();
    for (JsonElement e : stop.getAsJsonArray()) {
      ids.add(tokenId(e, "stop_token_ids"));
    }
    return ids;
  }

  /** One token id: an integer below {@link ModelConfig#MAX_VOCAB_SIZE}, else a 400 naming {@code field}. */
  static int tokenId(JsonElement e, String field) {
    if (!StrictJson.isInteger(e) || e.getAsLong() < 0 || e.getAsLong() >= ModelConfig.MAX_VOCAB_SIZE) {
      throw ApiError.badRequest("'" + field + "' holds " + e + ", which is not a token id (an integer from 0)", field);
    }
    return e.getAsInt();
  }

  private static Prompt textPrompt(JsonFields fields) {
    JsonElement prompt = fields.get("prompt");
    if (prompt == null) {
      throw ApiError.badRequest("'prompt' is required", "prompt");
    }
    if (prompt instanceof JsonPrimitive p && p.isString()) {
      return Prompt.text(p.getAsString());
    }
    if (prompt.isJsonArray()) {
      JsonArray array = prompt.getAsJsonArray();
      if (array.size() == 1 && array.get(0) instanceof JsonPrimitive p && p.isString()) {
        return Prompt.text(p.getAsString());
      }
      if (!array.isEmpty() && array.get(0) instanceof JsonPrimitive p && p.isNumber()) {
        return Prompt.ids(tokenIds(array));
      }
      if (array.size() == 1 && array.get(0).isJsonArray()) {
        return Prompt.ids(tokenIds(array.get(0).getAsJsonArray()));
      }
      throw ApiError.badRequest(
          "'prompt' must be one string or one array of token ids; send several prompts as separate requests",
          "prompt");
    }
    throw ApiError.badRequest("'prompt' must be a string or an array of token ids", "prompt");
  }

  private static int[] tokenIds(JsonArray array) {
    if (array.isEmpty()) {
      throw ApiError.badRequest("'prompt' has no token ids", "prompt");
    }
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonElement e = array.get(i);
      try {
        if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
          throw new NumberFormatException();
        }
        ids[i] = new java.math.BigDecimal(p.getAsString()).intValueExact();
      } catch (NumberFormatException | ArithmeticException x) {
        throw ApiError.badRequest("'prompt' token ids must be integers, found " + e, "prompt");
      }
    }
    return ids;
  }

  static Prompt chatPrompt(JsonFields fields, FormatParser.Tools tools) {
    JsonElement messages = fields.get("messages");
    if (messages == null || !messages.isJsonArray() || messages.getAsJsonArray().isEmpty()) {
      throw ApiError.badRequest("'messages' must be a non-empty array", "messages");
    }
    JsonArray array = messages.getAsJsonArray();
    if (array.size() > MAX_MESSAGES) {
      throw ApiError.badRequest("'messages' has " + array.size() + " messages; at most " + MAX_MESSAGES, "messages");
    }
    ChatHistory history = new ChatHistory();
    for (int i = 0; i < array.size(); i++) {
      history.add(array.get(i), "messages[" + i + "]");
    }
    // Message text stays plain text: a user cannot forge a turn by typing <start_of_turn>.
    List<ChatMessage> turns = ToolCalling.mergeToolResults(history.turns());
    return Prompt.chat(tools.enabled() ? ToolCalling.withTools(turns, tools.tools()) : turns);
  }

  /**
   * OpenAI messages as Gemma turns: assistant tool calls become the call blocks the model writes, tool results
   * user turns ({@link ToolCalling#resultTurn}; {@link ToolCalling#mergeToolResults} then merges them with the
   * user turns around them so turns alternate).
   */
  private static final class ChatHistory {
    private final List<ChatMessage> turns = new ArrayList<>();
    private final java.util.Map<String, String> callNames = new java.util.HashMap<>();

    void add(JsonElement element, String where) {
      if (!element.isJsonObject()) {
        throw ApiError.badRequest(where + " must be an object with 'role' and 'content'", "messages");
      }
      JsonFields fields = new JsonFields(element.getAsJsonObject());
      String role = fields.string("role");
      if (role == null) {
        throw ApiError.badRequest(where + " has no 'role'", "messages");
      }
      switch (role.toLowerCase(Locale.ROOT)) {
        case "system", "developer" -> turns.add(ChatMessage.system(content(fields.get("content"), where, true)));
        case "user" -> turns.add(ChatMessage.user(content(fields.get("content"), where, false)));
        case "assistant" -> turns.add(ChatMessage.model(assistantText(fields, where)));
        case "tool" -> {
          String id = fields.string("tool_call_id");
          String name = id == null ? null : callNames.get(id);
          if (name == null) {
            name = fields.string("name");
          }
          if (name == null) {
            throw ApiError.badRequest(where + " is a tool result whose 'tool_call_id' names no earlier call; give the"
                + " id of the assistant's tool call it answers", "messages");
          }
          turns.add(ToolCalling.resultTurn(name, content(fields.get("content"), where, false)));
        }
        default -> throw ApiError.badRequest(
            where + " has role '" + role + "'; this server takes system, developer, user, assistant and tool", "messages");
      }
    }

    private String assistantText(JsonFields fields, String where) {
      String text = fields.has("content") ? content(fields.get("content"), where, true) : "";
      JsonElement calls = fields.get("tool_calls");
      if (calls == null) {
        return text;
      }
      if (!(calls instanceof JsonArray array)) {
        throw ApiError.badRequest(where + ".tool_calls must be an array", "messages");
      }
      List<ToolCall> parsed = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        String at = where + ".tool_calls[" + i + "]";
        if (!(array.get(i) instanceof JsonObject call) || !(call.get("function") instanceof JsonObject function)) {
          throw ApiError.badRequest(at + " must be {\"id\": ..., \"type\": \"function\", \"function\": {\"name\": ...,"
              + " \"arguments\": ...}}", "messages");
        }
        JsonFields f = new JsonFields(function);
        String name = f.string("name");
        String arguments = f.string("arguments");
        String id = new JsonFields(call).string("id");
        if (name == null) {
          throw ApiError.badRequest(at + ".function has no 'name'", "messages");
        }
        id = id == null ? ToolCalling.newCallId() : id;
        callNames.put(id, name);
        parsed.add(new ToolCall(id, name, arguments == null ? "{}" : arguments));
      }
      try {
        return ToolCalling.modelTurnText(text, parsed);
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest(where + ".tool_calls: " + e.getMessage(), "messages");
      }
    }

    List<ChatMessage> turns() {
      return turns;
    }
  }

  private static String content(@Nullable JsonElement content, String where, boolean mayBeEmpty) {
    if (content == null) {
      if (mayBeEmpty) {
        return "";
      }
      throw ApiError.badRequest(where + " has no 'content'", "messages");
    }
    if (content instanceof JsonPrimitive p && p.isString()) {
      return p.getAsString();
    }
    if (content.isJsonArray()) {
      StringBuilder text = new StringBuilder();
      for (JsonElement part : content.getAsJsonArray()) {
        JsonFields partFields = part.isJsonObject() ? new JsonFields(part.getAsJsonObject()) : null;
        String type = partFields == null ? null : partFields.string("type");
        if (type != null && IMAGE_PARTS.contains(type)) {
          throw ApiError.badRequest(where + " has an image part ('" + type + "'), and image input is not supported:"
              + " gemma4j runs the language model of Gemma 3 checkpoints, not their vision tower; send text parts only",
              "messages");
        }
        if (partFields == null || !"text".equals(type) || partFields.string("text") == null) {
          throw ApiError.unsupported(
              "messages", where + " content parts other than {\"type\": \"text\", \"text\": ...} (the models read text only)");
        }
        text.append(partFields.string("text"));
      }
      return text.toString();
    }
    throw ApiError.badRequest(where + " 'content' must be a string or an array of text parts", "messages");
  }
}
