package dev.gemma4j.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.gemma4j.config.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.json} of a GGUF file's SentencePiece vocabulary ({@code tokenizer.ggml.model}
 * {@code llama}: tokens, scores, token types), in the form Hugging Face's Gemma tokenizer has: byte-fallback
 * BPE whose merges are every split of a piece into two pieces, ranked by the merged piece's score (as
 * transformers' {@code SentencePieceExtractor} derives them, and as llama.cpp's SPM tokenizer merges),
 * spaces normalized to {@code ▁}, BOS prepended, control tokens as special added tokens.
 */
final class GgufVocabulary {
  private static final int TYPE_CONTROL = 3;
  private static final int TYPE_USER_DEFINED = 4;

  private GgufVocabulary() {}

  /**
   * The tokenizer JSON for {@code metadata}.
   *
   * @param source names the file in messages
   * @throws ModelFormatException when the vocabulary is missing, not SentencePiece, or inconsistent
   */
  static String tokenizerJson(Map<String, Object> metadata, Path source) {
    if (!"llama".equals(metadata.get("tokenizer.ggml.model"))) {
      throw new ModelFormatException(source + " has the tokenizer model '" + metadata.get("tokenizer.ggml.model")
          + "'; gemma4j reads Gemma's SentencePiece vocabulary ('llama') from GGUF; put the model's tokenizer.json"
          + " beside the file instead");
    }
    List<String> tokens = strings(metadata.get("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens", source);
    List<Double> scores = numbers(metadata.get("tokenizer.ggml.scores"), "tokenizer.ggml.scores", tokens.size(), source);
    List<Double> types = numbers(metadata.get("tokenizer.ggml.token_type"), "tokenizer.ggml.token_type", tokens.size(),
        source);
    Map<String, Integer> ids = new HashMap<>();
    JsonObject vocab = new JsonObject();
    for (int id = 0; id < tokens.size(); id++) {
      if (ids.putIfAbsent(tokens.get(id), id) == null) {
        vocab.addProperty(tokens.get(id), id);
      }
    }
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", JsonNull.INSTANCE);
    int unk = id(metadata, "tokenizer.ggml.unknown_token_id", 3);
    model.addProperty("unk_token", tokens.get(Math.min(unk, tokens.size() - 1)));
    model.add("continuing_subword_prefix", JsonNull.INSTANCE);
    model.add("end_of_word_suffix", JsonNull.INSTANCE);
    model.addProperty("fuse_unk", true);
    model.addProperty("byte_fallback", true);
    model.add("vocab", vocab);
    model.add("merges", merges(tokens, scores, types, ids));

    JsonArray added = new JsonArray();
    for (int id = 0; id < tokens.size(); id++) {
      int type = types.get(id).intValue();
      if (type == TYPE_CONTROL || type == TYPE_USER_DEFINED) {
        JsonObject t = new JsonObject();
        t.addProperty("id", id);
        t.addProperty("content", tokens.get(id));
        t.addProperty("single_word", false);
        t.addProperty("lstrip", false);
        t.addProperty("rstrip", false);
        t.addProperty("normalized", false);
        t.addProperty("special", type == TYPE_CONTROL);
        added.add(t);
      }
    }
    int bos = id(metadata, "tokenizer.ggml.bos_token_id", 2);
    String bosText = tokens.get(Math.min(bos, tokens.size() - 1));
    JsonObject json = new JsonObject();
    json.addProperty("version", "1.0");
    json.add("truncation", JsonNull.INSTANCE);
    json.add("padding", JsonNull.INSTANCE);
    json.add("added_tokens", added);
    JsonObject normalizer = new JsonObject();
    normalizer.addProperty("type", "Replace");
    normalizer.add("pattern", string(" "));
    normalizer.addProperty("content", "\u2581");
    json.add("normalizer", normalizer);
    json.add("pre_tokenizer", JsonNull.INSTANCE);
    json.add("post_processor", bosProcessor(bosText, bos));
    JsonObject decoder = new JsonObject();
    decoder.addProperty("type", "Sequence");
    JsonArray decoders = new JsonArray();
    JsonObject replace = new JsonObject();
    replace.addProperty("type", "Replace");
    replace.add("pattern", string("\u2581"));
    replace.addProperty("content", " ");
    decoders.add(replace);
    decoders.add(type("ByteFallback"));
    decoders.add(type("Fuse"));
    decoder.add("decoders", decoders);
    json.add("decoder", decoder);
    json.add("model", model);
    return json.toString();
  }

  /** Every split of a normal piece into two pieces, the merged piece's score first (ties: the vocabulary's order). */
  private static JsonArray merges(List<String> tokens, List<Double> scores, List<Double> types, Map<String, Integer> ids) {
    record Merge(String left, String right, double score, int piece, int leftId, int rightId) {}
    List<Merge> merges = new ArrayList<>();
    for (int id = 0; id < tokens.size(); id++) {
      int type = types.get(id).intValue();
      if (type == TYPE_CONTROL || type == TYPE_USER_DEFINED) {
        continue;
      }
      String piece = tokens.get(id);
      for (int at = piece.offsetByCodePoints(0, 1); at < piece.length(); at = piece.offsetByCodePoints(at, 1)) {
        Integer left = ids.get(piece.substring(0, at));
        Integer right = ids.get(piece.substring(at));
        if (left != null && right != null) {
          merges.add(new Merge(piece.substring(0, at), piece.substring(at), scores.get(id), id, left, right));
        }
      }
    }
    merges.sort(java.util.Comparator.comparingDouble((Merge m) -> -m.score()).thenComparingInt(Merge::piece)
        .thenComparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
    JsonArray out = new JsonArray(merges.size());
    for (Merge m : merges) {
      JsonArray pair = new JsonArray(2);
      pair.add(m.left());
      pair.add(m.right());
      out.add(pair);
    }
    return out;
  }

  private static JsonObject bosProcessor(String bosText, int bos) {
    JsonObject bosToken = new JsonObject();
    JsonObject special = new JsonObject();
    special.addProperty("id", bosText);
    special.addProperty("type_id", 0);
    bosToken.add("SpecialToken", special);
    JsonObject sequence = new JsonObject();
    JsonObject a = new JsonObject();
    a.addProperty("id", "A");
    a.addProperty("type_id", 0);
    sequence.add("Sequence", a);
    JsonArray single = new JsonArray();
    single.add(bosToken);
    single.add(sequence);
    JsonObject processor = new JsonObject();
    processor.addProperty("type", "TemplateProcessing");
    processor.add("single", single);
    processor.add("pair", single.deepCopy());
    JsonObject entry = new JsonObject();
    entry.addProperty("id", bosText);
    JsonArray idList = new JsonArray();
    idList.add(bos);
    entry.add("ids", idList);
    JsonArray tokenList = new JsonArray();
    tokenList.add(bosText);
    entry.add("tokens", tokenList);
    JsonObject specials = new JsonObject();
    specials.add(bosText, entry);
    processor.add("special_tokens", specials);
    return processor;
  }

  private static JsonObject string(String s) {
    JsonObject o = new JsonObject();
    o.addProperty("String", s);
    return o;
  }

  private static JsonObject type(String name) {
    JsonObject o = new JsonObject();
    o.addProperty("type", name);
    return o;
  }

  private static int id(Map<String, Object> metadata, String key, int absent) {
    return metadata.get(key) instanceof Number n ? (int) Math.min(Integer.MAX_VALUE, Math.max(0, n.longValue())) : absent;
  }

  private static List<String> strings(Object value, String key, Path source) {
    if (!(value instanceof List<?> list) || list.isEmpty() || list.size() > Vocabulary.MAX_ID
        || !list.stream().allMatch(e -> e instanceof String)) {
      throw new ModelFormatException(source + ": " + key + " is not a list of at most " + Vocabulary.MAX_ID
          + " strings; the file has no usable vocabulary (put the model's tokenizer.json beside it)");
    }
    return list.stream().map(String.class::cast).toList();
  }

  private static List<Double> numbers(Object value, String key, int size, Path source) {
    if (!(value instanceof List<?> list) || list.size() != size || !list.stream().allMatch(e -> e instanceof Number)) {
      throw new ModelFormatException(source + ": " + key + " is not a list of " + size + " numbers, one per token");
    }
    return list.stream().map(n -> ((Number) n).doubleValue()).toList();
  }
}
