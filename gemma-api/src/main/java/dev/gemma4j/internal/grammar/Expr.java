package dev.gemma4j.internal.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * A grammar expression over characters, as the schema and regex compilers build them; {@link Grammar}
 * turns a set of named ones into rules. Immutable.
 */
sealed interface Expr {
  /** Matches nothing and consumes nothing: the empty string. */
  Expr EMPTY = new Seq(List.of());

  /** One character of a set. */
  record Chars(CharSet set) implements Expr {}

  /** Each part in turn. */
  record Seq(List<Expr> parts) implements Expr {}

  /** Any one of the choices. */
  record Alt(List<Expr> choices) implements Expr {}

  /** The rule of this name (which may refer back to itself). */
  record Ref(String rule) implements Expr {}

  /** {@code body} from {@code min} to {@code max} times; {@code max} {@link #UNBOUNDED} for no limit. */
  record Repeat(Expr body, int min, int max) implements Expr {
    static final int UNBOUNDED = -1;
  }

  static Expr chars(CharSet set) {
    return new Chars(set);
  }

  /** The characters of {@code text} in order. */
  static Expr literal(String text) {
    List<Expr> parts = new ArrayList<>();
    text.codePoints().forEach(c -> parts.add(new Chars(CharSet.of(c))));
    return parts.size() == 1 ? parts.getFirst() : new Seq(parts);
  }

  static Expr seq(Expr... parts) {
    return new Seq(List.of(parts));
  }

  static Expr seq(List<Expr> parts) {
    return parts.size() == 1 ? parts.getFirst() : new Seq(List.copyOf(parts));
  }

  static Expr alt(List<Expr> choices) {
    return choices.size() == 1 ? choices.getFirst() : new Alt(List.copyOf(choices));
  }

  static Expr alt(Expr... choices) {
    return alt(List.of(choices));
  }

  static Expr optional(Expr body) {
    return new Repeat(body, 0, 1);
  }

  static Expr repeat(Expr body, int min, int max) {
    return new Repeat(body, min, max);
  }

  static Expr star(Expr body) {
    return new Repeat(body, 0, Repeat.UNBOUNDED);
  }

  static Expr ref(String rule) {
    return new Ref(rule);
  }

  /** Whether this expression can match the empty string, given which rules can ({@code nullableRules}). */
  static boolean nullable(Expr e, java.util.function.Predicate<String> nullableRule) {
    return switch (e) {
      case Chars c -> false;
      case Seq s -> s.parts().stream().allMatch(p -> nullable(p, nullableRule));
      case Alt a -> a.choices().stream().anyMatch(p -> nullable(p, nullableRule));
      case Ref r -> nullableRule.test(r.rule());
      case Repeat r -> r.min() == 0 || nullable(r.body(), nullableRule);
    };
  }
}
