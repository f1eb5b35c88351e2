package dev.gemma4j.internal.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * Compiles a regular expression to a grammar expression that matches the whole text (as xgrammar and
 * llama.cpp treat a schema's {@code pattern}; {@code ^} and {@code $} at the ends are allowed and change
 * nothing). The subset every JSON-schema user writes: literals and escapes, {@code .}, classes with
 * ranges and negation, {@code \d \w \s} and their negations, groups ({@code (...)}, {@code (?:...)}),
 * alternation, and the quantifiers {@code * + ? {n} {n,} {n,m}} (lazy forms match the same texts).
 * Backreferences, lookaround, word boundaries and flags are refused, naming them.
 *
 * <p>In a JSON string ({@code jsonString}) the text is written as JSON requires: a quote or backslash the
 * pattern allows is written escaped, and control characters are left out.
 */
final class RegexGrammar {
  /** Bounds of {@code {n,m}} above this are refused: each unit of a bound is a grammar rule. */
  static final int MAX_REPEAT = 10_000;
  private static final CharSet WORD = CharSet.ranges('a', 'z', 'A', 'Z', '0', '9', '_', '_');
  private static final CharSet SPACE = CharSet.anyOf(" \t\n\r\f\u000b");

  private final String pattern;
  private final boolean jsonString;
  private int at;
  private int lastSingle = -1;

  private RegexGrammar(String pattern, boolean jsonString) {
    this.pattern = pattern;
    this.jsonString = jsonString;
  }

  /**
   * The expression matching the texts {@code pattern} matches in full.
   *
   * @throws GrammarException naming what in the pattern is malformed or not supported
   */
  static Expr compile(String pattern, boolean jsonString) {
    RegexGrammar parser = new RegexGrammar(pattern, jsonString);
    if (parser.peek('^')) {
      parser.at++;
    }
    Expr e = parser.alternation();
    if (parser.at < pattern.length()) {
      throw parser.error("unbalanced ')'");
    }
    return e;
  }

  private Expr alternation() {
    List<Expr> choices = new ArrayList<>();
    choices.add(sequence());
    while (peek('|')) {
      at++;
      choices.add(sequence());
    }
    return Expr.alt(choices);
  }

  private Expr sequence() {
    List<Expr> parts = new ArrayList<>();
    while (at < pattern.length() && !peek('|') && !peek(')')) {
      if (peek('$') && at == pattern.length() - 1) {
        at++;
        break;
      }
      parts.add(quantified(atom()));
    }
    return Expr.seq(parts);
  }

  private Expr quantified(Expr atom) {
    while (at < pattern.length()) {
      char c = pattern.charAt(at);
      int min;
      int max;
      if (c == '*' || c == '+' || c == '?') {
        at++;
        min = c == '+' ? 1 : 0;
        max = c == '?' ? 1 : Expr.Repeat.UNBOUNDED;
      } else if (c == '{' && isBound()) {
        at++;
        min = number();
        max = min;
        if (peek(',')) {
          at++;
          max = peek('}') ? Expr.Repeat.UNBOUNDED : number();
        }
        expect('}');
        if (max != Expr.Repeat.UNBOUNDED && max < min) {
          throw error("the bound {" + min + "," + max + "} has its maximum below its minimum");
        }
      } else {
        return atom;
      }
      if (peek('?') || peek('+')) {
        at++; // lazy and possessive forms match the same set of whole texts
      }
      atom = Expr.repeat(atom, min, max);
    }
    return atom;
  }

  private boolean isBound() {
    int close = pattern.indexOf('}', at);
    return close > at + 1 && pattern.substring(at + 1, close).matches("\\d+(,\\d*)?");
  }

  private int number() {
    int start = at;
    while (at < pattern.length() && Character.isDigit(pattern.charAt(at))) {
      at++;
    }
    long value = Long.parseLong(pattern.substring(start, at));
    if (value > MAX_REPEAT) {
      throw error("the bound " + value + " is above the largest supported, " + MAX_REPEAT);
    }
    return (int) value;
  }

  private Expr atom() {
    int c = pattern.codePointAt(at);
    at += Character.charCount(c);
    return switch (c) {
      case '(' -> group();
      case '[' -> chars(charClass());
      case '.' -> chars(CharSet.of('\n').complement());
      case '\\' -> chars(escape(false));
      case '*', '+', '?' -> throw error("'" + (char) c + "' has nothing to repeat");
      case '^', '$' -> throw error("'" + (char) c + "' is supported only at the start and end of the pattern");
      default -> chars(CharSet.of(c));
    };
  }

  private Expr group() {
    if (peek('?')) {
      if (at + 1 < pattern.length() && pattern.charAt(at + 1) == ':') {
        at += 2;
      } else {
        throw error("lookaround and named or flagged groups ('(?...') are not supported");
      }
    }
    Expr inner = alternation();
    expect(')');
    return inner;
  }

  private CharSet charClass() {
    boolean negated = peek('^');
    if (negated) {
      at++;
    }
    List<CharSet> members = new ArrayList<>();
    boolean first = true;
    while (at < pattern.length() && (first || !peek(']'))) {
      first = false;
      CharSet low = classMember();
      if (peek('-') && at + 1 < pattern.length() && pattern.charAt(at + 1) != ']') {
        at++;
        int lo = single(low);
        CharSet high = classMember();
        int hi = single(high);
        if (hi < lo) {
          throw error("the class range " + Character.toString(lo) + "-" + Character.toString(hi) + " is reversed");
        }
        members.add(CharSet.ranges(lo, hi));
      } else {
        members.add(low);
      }
    }
    expect(']');
    CharSet set = CharSet.union(members);
    return negated ? set.complement() : set;
  }

  private CharSet classMember() {
    int c = pattern.codePointAt(at);
    at += Character.charCount(c);
    if (c != '\\') {
      lastSingle = c;
      return CharSet.of(c);
    }
    CharSet escaped = escape(true);
    lastSingle = escaped.singleCodePoint();
    return escaped;
  }

  /** The one character a class member stands for; a class escape such as {@code \\d} cannot end a range. */
  private int single(CharSet set) {
    if (lastSingle < 0) {
      throw error("a class range must run between single characters, not " + set);
    }
    return lastSingle;
  }

  private CharSet escape(boolean inClass) {
    if (at >= pattern.length()) {
      throw error("the pattern ends with a lone backslash");
    }
    char c = pattern.charAt(at++);
    return switch (c) {
      case 'd' -> CharSet.DIGITS;
      case 'D' -> CharSet.DIGITS.complement();
      case 'w' -> WORD;
      case 'W' -> WORD.complement();
      case 's' -> SPACE;
      case 'S' -> SPACE.complement();
      case 'n' -> CharSet.of('\n');
      case 't' -> CharSet.of('\t');
      case 'r' -> CharSet.of('\r');
      case 'f' -> CharSet.of('\f');
      case 'v' -> CharSet.of(0x0b);
      case '0' -> CharSet.of(0);
      case 'x' -> CharSet.of(hex(2));
      case 'u' -> CharSet.of(hex(4));
      case 'b' -> {
        if (inClass) {
          yield CharSet.of('\b');
        }
        throw error("word boundaries ('\\b') are not supported");
      }
      default -> {
        if (Character.isLetterOrDigit(c)) {
          throw error("the escape '\\" + c + "' (a backreference, boundary or class) is not supported");
        }
        yield CharSet.of(c);
      }
    };
  }

  private int hex(int digits) {
    if (at + digits > pattern.length()) {
      throw error("a hexadecimal escape needs " + digits + " digits");
    }
    try {
      int value = Integer.parseInt(pattern.substring(at, at + digits), 16);
      at += digits;
      return value;
    } catch (NumberFormatException e) {
      throw error("a hexadecimal escape needs " + digits + " hexadecimal digits");
    }
  }

  /** A character of {@code set} as the output writes it. */
  private Expr chars(CharSet set) {
    return jsonString ? JsonGrammar.stringChar(set) : Expr.chars(set);
  }

  private boolean peek(char c) {
    return at < pattern.length() && pattern.charAt(at) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error(at >= pattern.length() ? "it ends where '" + c + "' is missing" : "'" + c + "' expected");
    }
    at++;
  }

  private GrammarException error(String what) {
    return new GrammarException("the regular expression \"" + pattern + "\" cannot be used: " + what
        + " (at character " + at + ")");
  }
}
