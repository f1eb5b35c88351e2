package dev.gemma4j.tokenizer;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.internal.SafeFiles;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The id-to-piece table of a {@code tokenizer.json} ({@code model.vocab} plus {@code added_tokens}), read
 * with a streaming parser so the 11 MB file is not held as a tree. Used to detokenize one id at a time.
 */
final class Vocabulary {
  /** Ids run below this: four times Gemma's 256000, far below what would make the table a memory risk. */
  static final int MAX_ID = dev.gemma4j.config.ModelConfig.MAX_VOCAB_SIZE;
  /** A tokenizer.json larger than this is not one (Gemma's is 17 MB). */
  private static final long MAX_FILE_BYTES = 512L << 20;

  private final String[] pieces;
  private final Map<String, Integer> ids;
  private final Set<String> special;

  private Vocabulary(String[] pieces, Map<String, Integer> ids, Set<String> special) {
    this.pieces = pieces;
    this.ids = ids;
    this.special = Set.copyOf(special);
  }

  static Vocabulary read(Path tokenizerJson) {
    SafeFiles.requireRegularFile(tokenizerJson, "tokenizer file", ModelFormatException::new);
    Map<String, Integer> ids = new HashMap<>();
    Set<String> special = new LinkedHashSet<>();
    try {
      if (Files.size(tokenizerJson) > MAX_FILE_BYTES) {
        throw new ModelFormatException(tokenizerJson + " is larger than " + (MAX_FILE_BYTES >> 20)
            + " MiB; a tokenizer file is tens of megabytes at most");
      }
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + tokenizerJson + ": " + e.getMessage(), e);
    }
    try (Reader reader = Files.newBufferedReader(tokenizerJson, StandardCharsets.UTF_8);
        JsonReader json = new JsonReader(reader)) {
      json.setStrictness(Strictness.STRICT);
      json.beginObject();
      while (json.hasNext()) {
        String key = json.nextName();
        if (key.equals("model")) {
          readModel(json, ids, tokenizerJson);
        } else if (key.equals("added_tokens") && json.peek() == JsonToken.BEGIN_ARRAY) {
          readAddedTokens(json, ids, special, tokenizerJson);
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
    return new Vocabulary(pieces, ids, special);
  }

  /** An id as the file writes it: an integer in {@code [0, MAX_ID)}, else an error naming the file and field. */
  private static int id(JsonReader json, Path file, String field, String piece) throws IOException {
    boolean number = json.peek() == JsonToken.NUMBER;
    String text = number ? json.nextString() : String.valueOf(readAnything(json));
    if (!number || !text.matches("\\d{1,7}") || Integer.parseInt(text) >= MAX_ID) {
      throw new ModelFormatException(file + ": " + field + " gives \"" + piece + "\" the id " + text
          + "; token ids are integers from 0 to " + (MAX_ID - 1));
    }
    return Integer.parseInt(text);
  }

  /** A JSON value that should have been an id, as text for the message. */
  private static String readAnything(JsonReader json) throws IOException {
    return switch (json.peek()) {
      case STRING -> "\"" + json.nextString() + "\"";
      case BOOLEAN -> String.valueOf(json.nextBoolean());
      case NULL -> {
        json.nextNull();
        yield "null";
      }
      default -> {
        json.skipValue();
        yield "an array or object";
      }
    };
  }

  private static void readModel(JsonReader json, Map<String, Integer> ids, Path file) throws IOException {
    json.beginObject();
    while (json.hasNext()) {
      if (json.nextName().equals("vocab") && json.peek() == JsonToken.BEGIN_OBJECT) {
        json.beginObject();
        while (json.hasNext()) {
          String piece = json.nextName();
          ids.put(piece, id(json, file, "model.vocab", piece));
        }
        json.endObject();
      } else {
        json.skipValue();
      }
    }
    json.endObject();
  }

  private static void readAddedTokens(JsonReader json, Map<String, Integer> ids, Set<String> special, Path file)
      throws IOException {
    json.beginArray();
    while (json.hasNext()) {
      json.beginObject();
      Integer id = null;
      String content = null;
      boolean isSpecial = false;
      while (json.hasNext()) {
        switch (json.nextName()) {
          case "id" -> id = id(json, file, "added_tokens", "the added token at " + json.getPath());
          case "content" -> content = json.nextString();
          case "special" -> isSpecial = json.nextBoolean();
          default -> json.skipValue();
        }
      }
      json.endObject();
      if (id != null && content != null) {
        ids.put(content, id);
        if (isSpecial) {
          special.add(content);
        }
      }
    }
    json.endArray();
  }

  /** Whether {@code piece} is a byte piece, {@code <0xNN>}: one byte of a character the vocabulary lacks. */
  static boolean isBytePiece(String piece) {
    return piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">");
  }

  /** What a piece adds to the output: its one byte, or its text (with {@code ▁} as a space) in UTF-8. */
  static byte[] outputBytes(String piece) {
    if (isBytePiece(piece)) {
      return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
    }
    return piece.replace('\u2581', ' ').getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The texts of the added tokens marked special ({@code <start_of_turn>}, {@code <eos>}, ...). */
  Set<String> specialTexts() {
    return special;
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
