package dev.gemma4j.tokenizer;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The id-to-piece table of a {@code tokenizer.json} ({@code model.vocab} plus {@code added_tokens}), read
 * with a streaming parser so the 11 MB file is not held as a tree. Used to detokenize one id at a time.
 */
final class Vocabulary {
  private final String[] pieces;
  private final Map<String, Integer> ids;

  private Vocabulary(String[] pieces, Map<String, Integer> ids) {
    this.pieces = pieces;
    this.ids = ids;
  }

  static Vocabulary read(Path tokenizerJson) {
    Map<String, Integer> ids = new HashMap<>();
    try (Reader reader = Files.newBufferedReader(tokenizerJson, StandardCharsets.UTF_8);
        JsonReader json = new JsonReader(reader)) {
      json.beginObject();
      while (json.hasNext()) {
        String key = json.nextName();
        if (key.equals("model")) {
          readModel(json, ids);
        } else if (key.equals("added_tokens") && json.peek() == JsonToken.BEGIN_ARRAY) {
          readAddedTokens(json, ids);
        } else {
          json.skipValue();
        }
      }
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw new ModelFormatException(
          tokenizerJson + " is not a valid Hugging Face tokenizer file: " + e.getMessage(), e);
    }
    int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    String[] pieces = new String[size];
    ids.forEach((piece, id) -> pieces[id] = piece);
    return new Vocabulary(pieces, ids);
  }

  private static void readModel(JsonReader json, Map<String, Integer> ids) throws IOException {
    json.beginObject();
    while (json.hasNext()) {
      if (json.nextName().equals("vocab") && json.peek() == JsonToken.BEGIN_OBJECT) {
        json.beginObject();
        while (json.hasNext()) {
          String piece = json.nextName();
          ids.put(piece, json.nextInt());
        }
        json.endObject();
      } else {
        json.skipValue();
      }
    }
    json.endObject();
  }

  private static void readAddedTokens(JsonReader json, Map<String, Integer> ids) throws IOException {
    json.beginArray();
    while (json.hasNext()) {
      json.beginObject();
      Integer id = null;
      String content = null;
      while (json.hasNext()) {
        switch (json.nextName()) {
          case "id" -> id = json.nextInt();
          case "content" -> content = json.nextString();
          default -> json.skipValue();
        }
      }
      json.endObject();
      if (id != null && content != null) {
        ids.put(content, id);
      }
    }
    json.endArray();
  }

  int size() {
    return pieces.length;
  }

  /** The piece of {@code id}, or {@code null} for an id the file does not define. */
  String piece(int id) {
    return id >= 0 && id < pieces.length ? pieces[id] : null;
  }

  Integer id(String piece) {
    return ids.get(piece);
  }
}
