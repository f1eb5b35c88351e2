package dev.gemma4j.server.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/** Typed, range-checked reads of a request's JSON fields; every failure is a 400 naming the field. */
final class JsonFields {
  private final JsonObject object;

  JsonFields(JsonObject object) {
    this.object = object;
  }

  /** The field, or {@code null} when it is absent or JSON {@code null}. */
  @Nullable JsonElement get(String name) {
    JsonElement value = object.get(name);
    return value == null || value.isJsonNull() ? null : value;
  }

  boolean has(String name) {
    return get(name) != null;
  }

  @Nullable String string(String name) {
    JsonElement value = get(name);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonPrimitive p) || !p.isString()) {
      throw ApiError.badRequest("'" + name + "' must be a string", name);
    }
    return p.getAsString();
  }

  @Nullable Boolean bool(String name) {
    JsonElement value = get(name);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonPrimitive p) || !p.isBoolean()) {
      throw ApiError.badRequest("'" + name + "' must be true or false", name);
    }
    return p.getAsBoolean();
  }

  /** An integer in {@code [min, max]}. */
  @Nullable Long integer(String name, long min, long max) {
    JsonElement value = get(name);
    if (value == null) {
      return null;
    }
    BigDecimal number = number(name, value);
    long result;
    try {
      result = number.longValueExact();
    } catch (ArithmeticException e) {
      throw ApiError.badRequest("'" + name + "' must be an integer in [" + min + ", " + max + "], was " + value, name);
    }
    if (result < min || result > max) {
      throw ApiError.badRequest("'" + name + "' must be in [" + min + ", " + max + "], was " + result, name);
    }
    return result;
  }

  /** A finite number in {@code [min, max]}. */
  @Nullable Double decimal(String name, double min, double max) {
    JsonElement value = get(name);
    if (value == null) {
      return null;
    }
    double result = number(name, value).doubleValue();
    if (!(result >= min && result <= max)) {
      throw ApiError.badRequest("'" + name + "' must be in [" + min + ", " + max + "], was " + value, name);
    }
    return result;
  }

  private static BigDecimal number(String name, JsonElement value) {
    if (!(value instanceof JsonPrimitive p) || !p.isNumber()) {
      throw ApiError.badRequest("'" + name + "' must be a number, was " + value, name);
    }
    try {
      return new BigDecimal(p.getAsString());
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("'" + name + "' must be a number, was " + value, name);
    }
  }

  @Nullable JsonObject object(String name) {
    JsonElement value = get(name);
    if (value == null) {
      return null;
    }
    if (!value.isJsonObject()) {
      throw ApiError.badRequest("'" + name + "' must be an object", name);
    }
    return value.getAsJsonObject();
  }
}
