package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Prompt;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.internal.StrictJson;
import dev.gemma4j.tokenizer.GemmaTokenizer;

/**
 * vLLM's {@code POST /tokenize} and {@code POST /detokenize}, with its request and response shapes: a prompt
 * ({@code add_special_tokens}, default true, adds the BOS token) or chat messages (through the chat template,
 * ending with the model's turn) become {@code {"count", "max_model_len", "tokens"}}; token ids become
 * {@code {"prompt"}} (special tokens kept, as vLLM decodes).
 */
public final class TokenizeEndpoint {
  private static final int MAX_TOKENS = 1 << 20;

  private final Gemma gemma;
  private final String servedModel;

  public TokenizeEndpoint(Gemma gemma, String servedModel) {
    this.gemma = gemma;
    this.servedModel = servedModel;
  }

  /** The answer to a {@code /tokenize} body. */
  public JsonObject tokenize(String body) {
    JsonFields fields = fields(body);
    Boolean special = fields.bool("add_special_tokens");
    Boolean generationPrompt = fields.bool("add_generation_prompt");
    if (Boolean.FALSE.equals(generationPrompt)) {
      throw ApiError.unsupported("add_generation_prompt",
          "'add_generation_prompt' false (Gemma's chat template always ends with the model's turn)");
    }
    int[] ids;
    try {
      if (fields.has("messages")) {
        ids = gemma.encode(RequestParser.chatPrompt(fields, FormatParser.tools(fields)));
      } else {
        String prompt = fields.string("prompt");
        if (prompt == null) {
          throw ApiError.badRequest("give 'prompt' (a string) or 'messages'", "prompt");
        }
        ids = Boolean.FALSE.equals(special) ? tokenizer().encode(prompt, false) : gemma.encode(Prompt.text(prompt));
      }
    } catch (GemmaException e) {
      throw ApiError.badRequest(e.getMessage(), fields.has("messages") ? "messages" : "prompt");
    }
    JsonObject out = new JsonObject();
    out.addProperty("count", ids.length);
    ModelConfig config = gemma.info().config();
    if (config != null) {
      out.addProperty("max_model_len", config.maxPositions());
    }
    out.add("tokens", Responses.ids(java.util.Arrays.stream(ids).boxed().toList()));
    return out;
  }

  /** The answer to a {@code /detokenize} body. */
  public JsonObject detokenize(String body) {
    JsonFields fields = fields(body);
    JsonElement tokens = fields.get("tokens");
    if (tokens == null || !tokens.isJsonArray() || tokens.getAsJsonArray().size() > MAX_TOKENS) {
      throw ApiError.badRequest("'tokens' must be an array of token ids", "tokens");
    }
    JsonArray array = tokens.getAsJsonArray();
    int[] ids = new int[array.size()];
    int vocabulary = gemma.info().config() != null ? gemma.info().config().vocabSize() : ModelConfig.MAX_VOCAB_SIZE;
    for (int i = 0; i < ids.length; i++) {
      ids[i] = RequestParser.tokenId(array.get(i), "tokens");
      if (ids[i] >= vocabulary) {
        throw ApiError.badRequest("'tokens' holds " + ids[i] + ", outside the vocabulary [0, " + vocabulary + ")", "tokens");
      }
    }
    JsonObject out = new JsonObject();
    out.addProperty("prompt", tokenizer().decode(ids, false));
    return out;
  }

  private JsonFields fields(String body) {
    JsonObject json = StrictJson.parseObject(body, "the request body", message -> ApiError.badRequest(message, null));
    JsonFields fields = new JsonFields(json);
    String model = fields.string("model");
    if (model != null && !model.equals(servedModel)) {
      throw ApiError.unknownModel(model, servedModel);
    }
    return fields;
  }

  private GemmaTokenizer tokenizer() {
    return gemma.tokenizer().orElseThrow(() -> ApiError.badRequest(
        "this server's model has no tokenizer (no tokenizer.json), so it tokenizes nothing", null));
  }
}
