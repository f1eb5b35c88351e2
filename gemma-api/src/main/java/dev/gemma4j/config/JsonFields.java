package dev.gemma4j.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Typed access to the fields of one JSON object, with errors that name the source and the key. */
final class JsonFields {
  private final JsonObject object;
  private final String source;

  JsonFields(JsonObject object, String source) {
    this.object = object;
    this.source = source;
  }

  static JsonFields read(Path file, String fixHint) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + " does not exist; " + fixHint, e);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  static JsonFields parse(String json, String source) {
    try {
      JsonElement root = JsonParser.parseString(json);
      if (!root.isJsonObject()) {
        throw new ModelFormatException(source + " is not a JSON object");
      }
      return new JsonFields(root.getAsJsonObject(), source);
    } catch (JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(source + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  String source() {
    return source;
  }

  boolean has(String key) {
    JsonElement e = object.get(key);
    return e != null && !e.isJsonNull();
  }

  @Nullable JsonFields objectOrNull(String key) {
    if (!has(key)) {
      return null;
    }
    JsonElement e = object.get(key);
    if (!e.isJsonObject()) {
      throw invalid(key, "an object");
    }
    return new JsonFields(e.getAsJsonObject(), source + " (" + key + ")");
  }

  int requireInt(String key) {
    if (!has(key)) {
      throw missing(key);
    }
    return intValue(key);
  }

  int intOr(String key, int fallback) {
    return has(key) ? intValue(key) : fallback;
  }

  double requireDouble(String key) {
    if (!has(key)) {
      throw missing(key);
    }
    return doubleValue(key);
  }

  double doubleOr(String key, double fallback) {
    return has(key) ? doubleValue(key) : fallback;
  }

  @Nullable String stringOrNull(String key) {
    if (!has(key)) {
      return null;
    }
    JsonElement e = object.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw invalid(key, "a string");
    }
    return e.getAsString();
  }

  boolean booleanOr(String key, boolean fallback) {
    if (!has(key)) {
      return fallback;
    }
    JsonElement e = object.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw invalid(key, "true or false");
    }
    return e.getAsBoolean();
  }

  /** An integer or a list of integers, as {@code eos_token_id} is written; empty when absent. */
  List<Integer> intList(String key) {
    List<Integer> out = new ArrayList<>();
    if (!has(key)) {
      return out;
    }
    JsonElement e = object.get(key);
    if (e.isJsonArray()) {
      for (JsonElement item : e.getAsJsonArray()) {
        out.add(asInt(item, key));
      }
    } else {
      out.add(asInt(e, key));
    }
    return out;
  }

  List<String> stringList(String key) {
    List<String> out = new ArrayList<>();
    if (!has(key)) {
      return out;
    }
    JsonElement e = object.get(key);
    if (!e.isJsonArray()) {
      throw invalid(key, "a list of strings");
    }
    JsonArray array = e.getAsJsonArray();
    for (JsonElement item : array) {
      if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isString()) {
        throw invalid(key, "a list of strings");
      }
      out.add(item.getAsString());
    }
    return out;
  }

  ModelFormatException missing(String key) {
    return new ModelFormatException(source + " lacks the required key \"" + key + "\"");
  }

  ModelFormatException invalid(String key, String expected) {
    return new ModelFormatException(
        source + ": \"" + key + "\" must be " + expected + ", found " + object.get(key));
  }

  private int intValue(String key) {
    return asInt(object.get(key), key);
  }

  private int asInt(JsonElement e, String key) {
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw invalid(key, "an integer");
    }
    double d = e.getAsDouble();
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw invalid(key, "an integer");
    }
    return (int) d;
  }

  private double doubleValue(String key) {
    JsonElement e = object.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw invalid(key, "a number");
    }
    return e.getAsDouble();
  }
}
