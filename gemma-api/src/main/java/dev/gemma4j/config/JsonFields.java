package dev.gemma4j.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.internal.SafeFiles;
import dev.gemma4j.internal.StrictJson;
import java.nio.file.Files;
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

  /** A config file is kilobytes; anything this large is not one. */
  private static final long MAX_FILE_BYTES = 16L << 20;

  static JsonFields read(Path file, String fixHint) {
    if (!Files.exists(file)) {
      throw new ModelFormatException(file + " does not exist; " + fixHint);
    }
    return parse(SafeFiles.readText(file, MAX_FILE_BYTES, "file", ModelFormatException::new), file.toString());
  }

  static JsonFields parse(String json, String source) {
    return new JsonFields(StrictJson.parseObject(json, source, ModelFormatException::new), source);
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
    if (!StrictJson.isInteger(e) || Math.abs(e.getAsLong()) > Integer.MAX_VALUE) {
      throw invalid(key, "an integer");
    }
    return e.getAsInt();
  }

  private double doubleValue(String key) {
    JsonElement e = object.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || !Double.isFinite(e.getAsDouble())) {
      throw invalid(key, "a finite number");
    }
    return e.getAsDouble();
  }
}
