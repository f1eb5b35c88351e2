package dev.gemma4j.internal.grammar;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema to a grammar whose sentences are the JSON texts the schema accepts (a subset of
 * them where noted). Supported: {@code type} (one or a list), {@code properties} in their order with
 * {@code required} (optional ones may be left out; no other properties are written, which every
 * {@code additionalProperties} allows), {@code additionalProperties} as the value schema of a map when
 * there are no properties; {@code items}, {@code minItems}, {@code maxItems}; {@code enum}, {@code const};
 * {@code minLength}, {@code maxLength}, {@code pattern} (whole-string match), {@code format} date, time,
 * date-time, uuid, email; {@code minimum}, {@code maximum}, {@code exclusiveMinimum},
 * {@code exclusiveMaximum} on integers, and integral {@code minimum}/{@code maximum} on numbers;
 * {@code anyOf}, {@code oneOf} (as anyOf: the grammar cannot exclude a text two branches both accept),
 * {@code allOf} of one schema; {@code $ref} into the document ({@code $defs}, {@code definitions}, any
 * JSON pointer, recursion included); {@code nullable}. Annotations are ignored. Anything else is refused
 * at compile time, naming the keyword and where it is.
 */
final class JsonSchemaGrammar {
  private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
      "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict", "name");
  private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties",
      "items", "minItems", "maxItems", "enum", "const", "minLength", "maxLength", "pattern", "format", "minimum",
      "maximum", "exclusiveMinimum", "exclusiveMaximum", "anyOf", "oneOf", "allOf", "$ref", "nullable");
  private static final Map<String, String> FORMATS = Map.of(
      "date", "\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])",
      "time", "([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,6})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)?",
      "date-time", "\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,6})?"
          + "(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)",
      "uuid", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
      "email", "[a-zA-Z0-9._%+-]{1,64}@[a-zA-Z0-9-]{1,63}(\\.[a-zA-Z0-9-]{1,63}){1,4}");
  /** The largest integer magnitude a bounded integer may reach: what {@link JsonGrammar} allows unbounded. */
  private static final BigInteger INTEGER_LIMIT = BigInteger.TEN.pow(JsonGrammar.MAX_INTEGER_DIGITS).subtract(BigInteger.ONE);

  private final JsonElement document;
  private final String prefix;
  private final Map<String, Expr> rules = new LinkedHashMap<>();
  private int nextRule;

  private JsonSchemaGrammar(JsonElement document, String prefix) {
    this.document = document;
    this.prefix = prefix;
    JsonGrammar.addCommonRules(rules);
  }

  /** The grammar of the JSON texts {@code schema} accepts. */
  static Grammar compile(JsonElement schema) {
    JsonSchemaGrammar compiler = new JsonSchemaGrammar(schema, "");
    compiler.rules.put("root", Expr.seq(compiler.schema(schema, "#"), Expr.ref(JsonGrammar.WS)));
    return Grammar.compile(compiler.rules, "root");
  }

  /**
   * Adds the rules of {@code schema} to {@code rules}, its own rules named under {@code prefix} so several
   * schemas can share one grammar; returns the expression of a value it accepts.
   */
  static Expr addTo(Map<String, Expr> rules, JsonElement schema, String prefix) {
    JsonSchemaGrammar compiler = new JsonSchemaGrammar(schema, prefix);
    Expr value = compiler.schema(schema, "#");
    rules.putAll(compiler.rules);
    return value;
  }

  private Expr schema(JsonElement schema, String where) {
    if (schema instanceof JsonPrimitive p && p.isBoolean()) {
      if (!p.getAsBoolean()) {
        throw refuse(where, "is the schema false, which no value matches");
      }
      return Expr.ref(JsonGrammar.VALUE);
    }
    if (!schema.isJsonObject()) {
      throw refuse(where, "is not a schema (an object or a boolean)");
    }
    JsonObject s = schema.getAsJsonObject();
    for (String key : s.keySet()) {
      if (!SUPPORTED.contains(key) && !ANNOTATIONS.contains(key)) {
        throw refuse(where, "uses '" + key + "', which structured output does not support");
      }
    }
    Expr value = value(s, where);
    JsonElement nullable = s.get("nullable");
    if (nullable instanceof JsonPrimitive p && p.isBoolean() && p.getAsBoolean()) {
      return Expr.alt(value, Expr.literal("null"));
    }
    return value;
  }

  private Expr value(JsonObject s, String where) {
    if (s.has("$ref")) {
      onlyAnnotations(s, where, "$ref", "nullable");
      return reference(string(s, "$ref", where), where);
    }
    if (s.has("enum") || s.has("const")) {
      List<JsonElement> values = new ArrayList<>();
      if (s.has("const")) {
        values.add(s.get("const"));
      } else if (s.get("enum") instanceof JsonArray array && !array.isEmpty()) {
        array.forEach(values::add);
      } else {
        throw refuse(where + "/enum", "must be a non-empty array");
      }
      List<Expr> choices = new ArrayList<>();
      for (JsonElement v : values) {
        choices.add(Expr.literal(v.toString()));
      }
      return Expr.alt(choices);
    }
    for (String combinator : List.of("anyOf", "oneOf", "allOf")) {
      if (s.has(combinator)) {
        onlyAnnotations(s, where, combinator, "nullable");
        if (!(s.get(combinator) instanceof JsonArray array) || array.isEmpty()) {
          throw refuse(where + "/" + combinator, "must be a non-empty array of schemas");
        }
        if (combinator.equals("allOf")) {
          if (array.size() != 1) {
            throw refuse(where + "/allOf", "has " + array.size() + " schemas; only an allOf of one is supported");
          }
          return schema(array.get(0), where + "/allOf/0");
        }
        List<Expr> choices = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
          choices.add(schema(array.get(i), where + "/" + combinator + "/" + i));
        }
        return Expr.alt(choices);
      }
    }
    JsonElement type = s.get("type");
    if (type == null) {
      if (s.has("properties")) {
        return object(s, where);
      }
      if (s.has("items")) {
        return array(s, where);
      }
      return Expr.ref(JsonGrammar.VALUE);
    }
    if (type instanceof JsonArray types) {
      List<Expr> choices = new ArrayList<>();
      for (JsonElement t : types) {
        choices.add(typed(s, t instanceof JsonPrimitive p && p.isString() ? p.getAsString() : t.toString(), where));
      }
      if (choices.isEmpty()) {
        throw refuse(where + "/type", "is an empty list");
      }
      return Expr.alt(choices);
    }
    return typed(s, string(s, "type", where), where);
  }

  private Expr typed(JsonObject s, String type, String where) {
    return switch (type) {
      case "object" -> object(s, where);
      case "array" -> array(s, where);
      case "string" -> string(s, where);
      case "integer" -> integer(s, where);
      case "number" -> number(s, where);
      case "boolean" -> Expr.alt(Expr.literal("true"), Expr.literal("false"));
      case "null" -> Expr.literal("null");
      default -> throw refuse(where + "/type", "is '" + type + "', not a JSON Schema type");
    };
  }

  private Expr object(JsonObject s, String where) {
    JsonObject properties = s.get("properties") instanceof JsonObject o ? o : new JsonObject();
    Set<String> required = new java.util.HashSet<>();
    if (s.get("required") instanceof JsonArray array) {
      for (JsonElement e : array) {
        required.add(e.getAsString());
      }
    }
    for (String name : required) {
      if (!properties.has(name)) {
        throw refuse(where + "/required", "names '" + name + "', which is not among its properties");
      }
    }
    JsonElement additional = s.get("additionalProperties");
    boolean map = properties.isEmpty() && (additional == null || !(additional instanceof JsonPrimitive p && p.isBoolean()
        && !p.getAsBoolean()));
    Expr open = Expr.seq(Expr.literal("{"), JsonGrammar.ws());
    Expr close = Expr.seq(JsonGrammar.ws(), Expr.literal("}"));
    Expr comma = Expr.seq(JsonGrammar.ws(), Expr.literal(","), JsonGrammar.ws());
    if (map) {
      Expr valueSchema = additional == null || additional instanceof JsonPrimitive
          ? Expr.ref(JsonGrammar.VALUE) : schema(additional, where + "/additionalProperties");
      Expr member = Expr.seq(Expr.ref(JsonGrammar.STRING), JsonGrammar.ws(), Expr.literal(":"), JsonGrammar.ws(), valueSchema);
      return Expr.seq(open, Expr.optional(Expr.seq(member, Expr.star(Expr.seq(comma, member)))), close);
    }
    List<String> names = new ArrayList<>(properties.keySet());
    List<Expr> members = new ArrayList<>();
    for (String name : names) {
      members.add(Expr.seq(JsonGrammar.stringLiteral(name), JsonGrammar.ws(), Expr.literal(":"), JsonGrammar.ws(),
          schema(properties.get(name), where + "/properties/" + name)));
    }
    // rest(i, first): the members from i on, when none (first) or some were written before.
    String base = prefix + "object" + nextRule++;
    for (int i = names.size(); i >= 0; i--) {
      for (boolean first : new boolean[] {true, false}) {
        String name = base + "-" + i + (first ? "-first" : "-more");
        if (i == names.size()) {
          rules.put(name, Expr.EMPTY);
          continue;
        }
        Expr written = Expr.seq(first ? Expr.EMPTY : comma, members.get(i), Expr.ref(base + "-" + (i + 1) + "-more"));
        Expr skipped = Expr.ref(base + "-" + (i + 1) + (first ? "-first" : "-more"));
        rules.put(name, required.contains(names.get(i)) ? written : Expr.alt(written, skipped));
      }
    }
    return Expr.seq(open, Expr.ref(base + "-0-first"), close);
  }

  private Expr array(JsonObject s, String where) {
    int min = count(s, "minItems", 0, where);
    int max = count(s, "maxItems", Expr.Repeat.UNBOUNDED, where);
    if (max != Expr.Repeat.UNBOUNDED && max < min) {
      throw refuse(where, "has maxItems below minItems, which no array satisfies");
    }
    JsonElement items = s.get("items");
    Expr item = items == null ? Expr.ref(JsonGrammar.VALUE) : schema(items, where + "/items");
    if (!(item instanceof Expr.Ref)) {
      String name = prefix + "items" + nextRule++;
      rules.put(name, item);
      item = Expr.ref(name);
    }
    return JsonGrammar.array(item, min, max);
  }

  private Expr string(JsonObject s, String where) {
    int min = count(s, "minLength", 0, where);
    int max = count(s, "maxLength", Expr.Repeat.UNBOUNDED, where);
    if (max != Expr.Repeat.UNBOUNDED && max < min) {
      throw refuse(where, "has maxLength below minLength, which no string satisfies");
    }
    String pattern = s.has("pattern") ? string(s, "pattern", where) : null;
    if (s.has("format")) {
      String format = string(s, "format", where);
      if (!FORMATS.containsKey(format)) {
        throw refuse(where + "/format", "is '" + format + "'; the formats supported are " + new java.util.TreeSet<>(FORMATS.keySet()));
      }
      if (pattern != null) {
        throw refuse(where, "has both 'format' and 'pattern'; give one");
      }
      pattern = FORMATS.get(format);
    }
    if (pattern != null) {
      if (s.has("minLength") || s.has("maxLength")) {
        throw refuse(where, "has a pattern or format together with minLength or maxLength; put the length into the pattern");
      }
      return Expr.seq(Expr.literal("\""), RegexGrammar.compile(pattern, true), Expr.literal("\""));
    }
    return min == 0 && max == Expr.Repeat.UNBOUNDED ? Expr.ref(JsonGrammar.STRING) : JsonGrammar.string(min, max);
  }

  /** The integers the bounds allow: {@code x >= minimum}, {@code x > exclusiveMinimum}, and the upper twins. */
  private Expr integer(JsonObject s, String where) {
    BigInteger lo = tighter(rounded(decimal(s, "minimum", where), RoundingMode.CEILING, 0),
        rounded(decimal(s, "exclusiveMinimum", where), RoundingMode.FLOOR, 1), BigInteger::max);
    BigInteger hi = tighter(rounded(decimal(s, "maximum", where), RoundingMode.FLOOR, 0),
        rounded(decimal(s, "exclusiveMaximum", where), RoundingMode.CEILING, -1), BigInteger::min);
    if (lo == null && hi == null) {
      return JsonGrammar.integer();
    }
    return IntegerRanges.range(lowest(lo), highest(hi, lo, where, "has no integer between its minimum and maximum"));
  }

  private Expr number(JsonObject s, String where) {
    for (String exclusive : List.of("exclusiveMinimum", "exclusiveMaximum")) {
      if (s.has(exclusive)) {
        throw refuse(where, "uses '" + exclusive + "' on a number; it is supported on integers");
      }
    }
    BigInteger lo = whole(decimal(s, "minimum", where), where + "/minimum");
    BigInteger hi = whole(decimal(s, "maximum", where), where + "/maximum");
    if (lo == null && hi == null) {
      return JsonGrammar.number();
    }
    return IntegerRanges.decimalRange(lowest(lo), highest(hi, lo, where, "has its minimum above its maximum"));
  }

  /** {@code bound} rounded to an integer in {@code mode}, then moved by {@code step}; {@code null} stays. */
  private static BigInteger rounded(BigDecimal bound, RoundingMode mode, int step) {
    return bound == null ? null : bound.setScale(0, mode).toBigInteger().add(BigInteger.valueOf(step));
  }

  private static BigInteger tighter(BigInteger a, BigInteger b, java.util.function.BinaryOperator<BigInteger> pick) {
    return a == null ? b : b == null ? a : pick.apply(a, b);
  }

  private static BigInteger lowest(BigInteger lo) {
    return lo == null ? INTEGER_LIMIT.negate() : lo;
  }

  private static BigInteger highest(BigInteger hi, BigInteger lo, String where, String empty) {
    BigInteger high = hi == null ? INTEGER_LIMIT : hi;
    if (lowest(lo).compareTo(high) > 0) {
      throw refuse(where, empty);
    }
    return high;
  }

  /** A number's bound, which must be whole. */
  private static BigInteger whole(BigDecimal bound, String where) {
    if (bound == null) {
      return null;
    }
    try {
      return bound.stripTrailingZeros().toBigIntegerExact();
    } catch (ArithmeticException fraction) {
      throw refuse(where, "is " + bound + "; on a number only whole bounds are supported");
    }
  }

  /** A numeric keyword's value, within the magnitude the grammar's digits reach, or {@code null}. */
  private static BigDecimal decimal(JsonObject s, String key, String where) {
    JsonElement e = s.get(key);
    if (e == null) {
      return null;
    }
    if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
      throw refuse(where + "/" + key, "must be a number");
    }
    BigDecimal value = new BigDecimal(p.getAsString());
    if (value.abs().compareTo(new BigDecimal(INTEGER_LIMIT)) > 0) {
      throw refuse(where + "/" + key, "is " + value + "; bounds up to " + INTEGER_LIMIT + " in magnitude are supported");
    }
    return value;
  }

  private int count(JsonObject s, String key, int absent, String where) {
    JsonElement e = s.get(key);
    if (e == null) {
      return absent;
    }
    if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
      throw refuse(where + "/" + key, "must be a non-negative integer");
    }
    BigDecimal value = new BigDecimal(p.getAsString());
    if (value.signum() < 0 || value.stripTrailingZeros().scale() > 0) {
      throw refuse(where + "/" + key, "must be a non-negative integer, was " + value);
    }
    if (value.compareTo(BigDecimal.valueOf(RegexGrammar.MAX_REPEAT)) > 0) {
      throw refuse(where + "/" + key, "is " + value + "; at most " + RegexGrammar.MAX_REPEAT + " is supported");
    }
    return value.intValue();
  }

  private Expr reference(String ref, String where) {
    if (!ref.startsWith("#")) {
      throw refuse(where + "/$ref", "is '" + ref + "'; only references into the same document ('#/...') are supported");
    }
    String name = prefix + "ref:" + ref;
    if (!rules.containsKey(name)) {
      rules.put(name, Expr.EMPTY); // placeholder: a reference back to it while compiling it is recursion
      rules.put(name, schema(resolve(ref, where), ref));
    }
    return Expr.ref(name);
  }

  private JsonElement resolve(String ref, String where) {
    JsonElement target = document;
    String pointer = ref.substring(1);
    if (pointer.isEmpty()) {
      return target;
    }
    if (!pointer.startsWith("/")) {
      throw refuse(where + "/$ref", "is '" + ref + "', not a JSON pointer");
    }
    for (String token : pointer.substring(1).split("/", -1)) {
      String key = java.net.URLDecoder.decode(token.replace("~1", "/").replace("~0", "~"), java.nio.charset.StandardCharsets.UTF_8);
      if (target instanceof JsonObject o && o.has(key)) {
        target = o.get(key);
      } else if (target instanceof JsonArray a && key.matches("\\d{1,6}") && Integer.parseInt(key) < a.size()) {
        target = a.get(Integer.parseInt(key));
      } else {
        throw refuse(where + "/$ref", "is '" + ref + "', which points at nothing in the schema");
      }
    }
    return target;
  }

  private static void onlyAnnotations(JsonObject s, String where, String... allowed) {
    Set<String> ok = Set.of(allowed);
    for (String key : s.keySet()) {
      if (!ok.contains(key) && !ANNOTATIONS.contains(key)) {
        throw refuse(where, "combines '" + allowed[0] + "' with '" + key + "'; put '" + key + "' inside the "
            + allowed[0] + " branches");
      }
    }
  }

  private static String string(JsonObject s, String key, String where) {
    if (!(s.get(key) instanceof JsonPrimitive p) || !p.isString()) {
      throw refuse(where + "/" + key, "must be a string");
    }
    return p.getAsString();
  }

  private static GrammarException refuse(String where, String what) {
    return new GrammarException("the JSON schema at " + where + " " + what);
  }
}
