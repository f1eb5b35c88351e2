package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.gemma4j.TokenLogprobs;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Log probabilities in OpenAI's shapes: a chat choice's {@code logprobs.content} (token, logprob, bytes,
 * top_logprobs) and a text completion's {@code tokens}, {@code token_logprobs}, {@code top_logprobs},
 * {@code text_offset}. A token is named by its text (a byte piece by its one byte).
 */
final class LogprobsJson {
  private final @Nullable GemmaTokenizer tokenizer;

  LogprobsJson(@Nullable GemmaTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /**
   * The {@code logprobs} of a choice.
   *
   * @param textOffset where the first token's text begins in the choice's text (text completions)
   */
  JsonObject json(Operation operation, List<TokenLogprobs> tokens, int textOffset) {
    return operation == Operation.CHAT ? chat(tokens) : completion(tokens, textOffset);
  }

  private JsonObject chat(List<TokenLogprobs> tokens) {
    JsonArray content = new JsonArray();
    for (TokenLogprobs t : tokens) {
      JsonObject entry = entry(t.id(), t.logprob());
      JsonArray top = new JsonArray();
      for (int i = 0; i < t.topIds().size(); i++) {
        top.add(entry(t.topIds().get(i), t.topLogprobs().get(i)));
      }
      entry.add("top_logprobs", top);
      content.add(entry);
    }
    JsonObject logprobs = new JsonObject();
    logprobs.add("content", content);
    logprobs.add("refusal", JsonNull.INSTANCE);
    return logprobs;
  }

  private JsonObject completion(List<TokenLogprobs> tokens, int textOffset) {
    JsonArray texts = new JsonArray();
    JsonArray values = new JsonArray();
    JsonArray tops = new JsonArray();
    JsonArray offsets = new JsonArray();
    int offset = textOffset;
    for (TokenLogprobs t : tokens) {
      String text = text(t.id());
      texts.add(text);
      values.add(t.logprob());
      JsonObject top = new JsonObject();
      for (int i = 0; i < t.topIds().size(); i++) {
        top.addProperty(text(t.topIds().get(i)), t.topLogprobs().get(i));
      }
      tops.add(top);
      offsets.add(offset);
      offset += text.length();
    }
    JsonObject logprobs = new JsonObject();
    logprobs.add("tokens", texts);
    logprobs.add("token_logprobs", values);
    logprobs.add("top_logprobs", tops);
    logprobs.add("text_offset", offsets);
    return logprobs;
  }

  private JsonObject entry(int id, float logprob) {
    JsonObject entry = new JsonObject();
    entry.addProperty("token", text(id));
    entry.addProperty("logprob", Math.max(logprob, -9999f)); // JSON has no -Infinity; vLLM clamps the same way
    JsonArray bytes = new JsonArray();
    for (byte b : bytes(id)) {
      bytes.add(b & 0xff);
    }
    entry.add("bytes", bytes);
    return entry;
  }

  private String text(int id) {
    return tokenizer == null ? "token_id:" + id : tokenizer.pieceText(id);
  }

  private byte[] bytes(int id) {
    return tokenizer == null ? text(id).getBytes(StandardCharsets.UTF_8) : tokenizer.pieceBytes(id);
  }
}
