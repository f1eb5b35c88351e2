package dev.gemma4j.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * JSON as the standard defines it, read from files and servers gemma4j does not trust: no comments,
 * single quotes or other lenient forms; no object that names a key twice (where a lenient parser keeps
 * the last value and changes what a file means); at most {@value #MAX_DEPTH} levels of nesting. Errors
 * name the source and the position, in our words. Internal, not API.
 */
public final class StrictJson {
  /** Deeper nesting than any config, header or listing has is refused before it can exhaust the stack. */
  public static final int MAX_DEPTH = 64;

  private StrictJson() {}

  /**
   * Parses {@code text}.
   *
   * @param source names the text in messages, e.g. a file
   * @param error makes the exception to throw from a message
   */
  public static JsonElement parse(String text, String source, Function<String, ? extends RuntimeException> error) {
    try (JsonReader reader = new JsonReader(new StringReader(text))) {
      reader.setStrictness(Strictness.STRICT);
      JsonElement value = read(reader, source, error, 0);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw error.apply(source + " is not valid JSON: more data follows the value at " + position(reader));
      }
      return value;
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw error.apply(source + " is not valid JSON: " + explain(e.getMessage(), text));
    }
  }

  /** Like {@link #parse} for a document that must be an object. */
  public static JsonObject parseObject(String text, String source, Function<String, ? extends RuntimeException> error) {
    JsonElement value = parse(text, source, error);
    if (!value.isJsonObject()) {
      throw error.apply(source + " is not a JSON object");
    }
    return value.getAsJsonObject();
  }

  private static JsonElement read(
      JsonReader reader, String source, Function<String, ? extends RuntimeException> error, int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw error.apply(source + " nests deeper than " + MAX_DEPTH + " levels at " + position(reader));
    }
    return switch (reader.peek()) {
      case BEGIN_OBJECT -> {
        JsonObject object = new JsonObject();
        Set<String> names = new HashSet<>();
        reader.beginObject();
        while (reader.hasNext()) {
          String name = reader.nextName();
          if (!names.add(name)) {
            throw error.apply(source + " names the key \"" + name + "\" twice in the same object (at "
                + position(reader) + "); a file must say one thing");
          }
          object.add(name, read(reader, source, error, depth + 1));
        }
        reader.endObject();
        yield object;
      }
      case BEGIN_ARRAY -> {
        JsonArray array = new JsonArray();
        reader.beginArray();
        while (reader.hasNext()) {
          array.add(read(reader, source, error, depth + 1));
        }
        reader.endArray();
        yield array;
      }
      case STRING -> new JsonPrimitive(reader.nextString());
      case NUMBER -> new JsonPrimitive(new BigDecimal(reader.nextString()));
      case BOOLEAN -> new JsonPrimitive(reader.nextBoolean());
      case NULL -> {
        reader.nextNull();
        yield JsonNull.INSTANCE;
      }
      default -> throw error.apply(source + " is not valid JSON at " + position(reader));
    };
  }

  private static String position(JsonReader reader) {
    String p = reader.getPath();
    return p.equals("$") ? "the top" : p;
  }

  private static final java.util.regex.Pattern WHERE =
      java.util.regex.Pattern.compile("at line (\\d+) column (\\d+)");

  /**
   * Gson's message in our words: without its advice to parse leniently and its link, with what standard
   * JSON lacks named where Gson only says "malformed", and the text found at the place it names.
   */
  static String explain(String message, String text) {
    if (message == null) {
      return "malformed";
    }
    String m = message;
    int see = m.indexOf("\nSee https://");
    if (see >= 0) {
      m = m.substring(0, see);
    }
    m = m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
        "a value standard JSON does not allow (NaN, Infinity, an unquoted word or a single-quoted string)");
    m = m.replaceFirst("^com\\.google\\.gson\\.stream\\.MalformedJsonException: ", "").strip();
    java.util.regex.Matcher where = WHERE.matcher(m);
    if (where.find()) {
      String excerpt = excerpt(text, Integer.parseInt(where.group(1)), Integer.parseInt(where.group(2)));
      if (!excerpt.isEmpty()) {
        m += " (found: " + excerpt + ")";
      }
    }
    return m;
  }

  /** Up to 24 characters of {@code text} from line {@code line}, column {@code column} (both from 1). */
  private static String excerpt(String text, int line, int column) {
    int at = 0;
    for (int l = 1; l < line && at >= 0; l++) {
      at = text.indexOf('\n', at);
      at = at < 0 ? -1 : at + 1;
    }
    if (at < 0) {
      return "";
    }
    int from = Math.clamp(at + column - 1L, 0, text.length());
    int to = Math.min(text.length(), from + 24);
    int newline = text.indexOf('\n', from);
    if (newline >= 0 && newline < to) {
      to = newline;
    }
    return from < to ? "'" + text.substring(from, to) + "'" : "";
  }

  /**
   * Whether a JSON number is an integer as written ({@code 64}, not {@code 64.5}, {@code 6.4e1} or
   * {@code "64"}), and the value when it is.
   */
  public static boolean isInteger(JsonElement e) {
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return false;
    }
    String text = e.getAsJsonPrimitive().getAsNumber().toString();
    return text.matches("-?\\d{1,18}");
  }
}
