package dev.gemma4j.internal.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pieces of JSON as grammar expressions, and rules for any JSON value. Whitespace between tokens is
 * bounded ({@value #MAX_WHITESPACE} characters) so no model can loop on spaces, and numbers are bounded
 * ({@value #MAX_INTEGER_DIGITS} integer digits, {@value #MAX_FRACTION_DIGITS} fraction digits, a
 * three-digit exponent): every value but strings, arrays and objects without bounds ends by itself.
 */
final class JsonGrammar {
  static final int MAX_WHITESPACE = 16;
  static final int MAX_INTEGER_DIGITS = 16;
  static final int MAX_FRACTION_DIGITS = 16;

  /** Characters a JSON string may hold as they are: all but the quote, the backslash and controls. */
  static final CharSet RAW_STRING_CHARS = CharSet.ranges(0, 0x1f).complement().minus(CharSet.anyOf("\"\\"));

  static final String WS = "ws";
  static final String VALUE = "json-value";
  static final String OBJECT = "json-object";
  static final String ARRAY = "json-array";
  static final String STRING = "json-string";
  private static final String STRING_CHAR = "json-string-char";

  private JsonGrammar() {}

  /** Adds the rules every JSON grammar uses, and the rules of any value. */
  static void addCommonRules(Map<String, Expr> rules) {
    rules.put(WS, Expr.repeat(Expr.chars(CharSet.anyOf(" \t\n\r")), 0, MAX_WHITESPACE));
    rules.put(STRING_CHAR, stringChar(CharSet.ANY));
    rules.put(STRING, string(0, Expr.Repeat.UNBOUNDED));
    rules.put(VALUE, Expr.alt(Expr.ref(OBJECT), Expr.ref(ARRAY), Expr.ref(STRING), number(), literals("true", "false", "null")));
    Expr member = Expr.seq(Expr.ref(STRING), ws(), Expr.literal(":"), ws(), Expr.ref(VALUE));
    rules.put(OBJECT, Expr.seq(Expr.literal("{"), ws(),
        Expr.optional(Expr.seq(member, Expr.star(Expr.seq(ws(), Expr.literal(","), ws(), member)))), ws(), Expr.literal("}")));
    rules.put(ARRAY, array(Expr.ref(VALUE), 0, Expr.Repeat.UNBOUNDED));
  }

  static Expr ws() {
    return Expr.ref(WS);
  }

  /** One character of {@code set} inside a JSON string, escaped where JSON requires it. */
  static Expr stringChar(CharSet set) {
    List<Expr> choices = new ArrayList<>();
    CharSet raw = CharSet.union(List.of(set.complement(), RAW_STRING_CHARS.complement())).complement();
    if (!raw.isEmpty()) {
      choices.add(Expr.chars(raw));
    }
    String[][] escapes = {{"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"}, {"\t", "\\t"}, {"\r", "\\r"}, {"\b", "\\b"},
        {"\f", "\\f"}};
    for (String[] escape : escapes) {
      if (set.contains(escape[0].codePointAt(0))) {
        choices.add(Expr.literal(escape[1]));
      }
    }
    if (choices.isEmpty()) {
      throw new GrammarException("the constraint allows only control characters at some place of a string, which"
          + " this implementation cannot write");
    }
    return Expr.alt(choices);
  }

  /** A JSON string of {@code min} to {@code max} characters (an escape counts as one). */
  static Expr string(int min, int max) {
    return Expr.seq(Expr.literal("\""), Expr.repeat(Expr.ref(STRING_CHAR), min, max), Expr.literal("\""));
  }

  /** A JSON string holding exactly {@code text}. */
  static Expr stringLiteral(String text) {
    return Expr.literal(new com.google.gson.JsonPrimitive(text).toString());
  }

  /** Any JSON number within the digit bounds. */
  static Expr number() {
    Expr fraction = Expr.seq(Expr.literal("."), Expr.repeat(Expr.chars(CharSet.DIGITS), 1, MAX_FRACTION_DIGITS));
    Expr exponent = Expr.seq(Expr.chars(CharSet.anyOf("eE")), Expr.optional(Expr.chars(CharSet.anyOf("+-"))),
        Expr.repeat(Expr.chars(CharSet.DIGITS), 1, 3));
    return Expr.seq(integer(), Expr.optional(fraction), Expr.optional(exponent));
  }

  /** Any JSON integer within the digit bound. */
  static Expr integer() {
    return Expr.seq(Expr.optional(Expr.literal("-")), unsignedInteger());
  }

  static Expr unsignedInteger() {
    return Expr.alt(Expr.literal("0"),
        Expr.seq(Expr.chars(CharSet.NONZERO_DIGITS), Expr.repeat(Expr.chars(CharSet.DIGITS), 0, MAX_INTEGER_DIGITS - 1)));
  }

  /** {@code [item, item, ...]} with {@code min} to {@code max} items. */
  static Expr array(Expr item, int min, int max) {
    if (max == 0) {
      return Expr.seq(Expr.literal("["), ws(), Expr.literal("]"));
    }
    Expr separator = Expr.seq(ws(), Expr.literal(","), ws());
    Expr moreItems = Expr.repeat(Expr.seq(separator, item), Math.max(0, min - 1),
        max == Expr.Repeat.UNBOUNDED ? Expr.Repeat.UNBOUNDED : max - 1);
    Expr items = Expr.seq(item, moreItems);
    return Expr.seq(Expr.literal("["), ws(), min == 0 ? Expr.optional(items) : items, ws(), Expr.literal("]"));
  }

  private static Expr literals(String... words) {
    List<Expr> choices = new ArrayList<>();
    for (String w : words) {
      choices.add(Expr.literal(w));
    }
    return Expr.alt(choices);
  }
}
