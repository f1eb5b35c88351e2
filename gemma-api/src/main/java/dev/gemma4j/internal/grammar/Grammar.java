package dev.gemma4j.internal.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A context-free grammar over characters in the flat form the matcher runs (llama.cpp's GBNF shape): rules
 * of alternatives, each a sequence of elements (a character set or a reference to a rule) ending in
 * {@link #END}. A position is an index into {@link #elements}. Built from named {@link Expr}s by
 * {@link #compile}; repetitions become chains of rules, so a bounded repetition is a bounded language.
 * Immutable.
 */
final class Grammar {
  /** Ends an alternative. */
  static final int END = Integer.MIN_VALUE;
  /** The most rules a grammar may have: bounds the memory a schema with large bounds can ask for. */
  static final int MAX_RULES = 100_000;

  private final int[] elements;
  private final int[][] alternatives;
  private final CharSet[] charSets;
  private final int root;

  private Grammar(int[] elements, int[][] alternatives, CharSet[] charSets, int root) {
    this.elements = elements;
    this.alternatives = alternatives;
    this.charSets = charSets;
    this.root = root;
  }

  /**
   * Compiles named rules; {@code root} names the start rule.
   *
   * @throws GrammarException when a rule is referred to but not defined, a repetition's body can match
   *     nothing (which would loop), or the grammar grows past {@link #MAX_RULES} rules
   */
  static Grammar compile(Map<String, Expr> rules, String root) {
    return new Compiler(rules).compile(root);
  }

  int root() {
    return root;
  }

  /** The start positions of a rule's alternatives. */
  int[] alternatives(int rule) {
    return alternatives[rule];
  }

  /** The element at a position: a rule (≥ 0), a character set ({@link #isCharSet}), or {@link #END}. */
  int element(int position) {
    return elements[position];
  }

  static boolean isCharSet(int element) {
    return element < 0 && element != END;
  }

  CharSet charSet(int element) {
    return charSets[-element - 1];
  }

  private static final class Compiler {
    private final Map<String, Expr> named;
    private final Map<String, Integer> ruleIds = new HashMap<>();
    private final List<List<int[]>> bodies = new ArrayList<>(); // per rule, its alternatives' elements
    private final Map<CharSet, Integer> charSetIds = new LinkedHashMap<>();
    private final Map<String, Boolean> nullable = new HashMap<>();

    Compiler(Map<String, Expr> named) {
      this.named = named;
    }

    Grammar compile(String rootName) {
      int root = namedRule(rootName);
      List<Integer> elements = new ArrayList<>();
      int[][] alternatives = new int[bodies.size()][];
      for (int r = 0; r < bodies.size(); r++) {
        List<int[]> alts = bodies.get(r);
        alternatives[r] = new int[alts.size()];
        for (int a = 0; a < alts.size(); a++) {
          alternatives[r][a] = elements.size();
          for (int e : alts.get(a)) {
            elements.add(e);
          }
          elements.add(END);
        }
      }
      return new Grammar(
          elements.stream().mapToInt(Integer::intValue).toArray(),
          alternatives,
          charSetIds.keySet().toArray(CharSet[]::new),
          root);
    }

    private int namedRule(String name) {
      Integer id = ruleIds.get(name);
      if (id != null) {
        return id;
      }
      Expr body = named.get(name);
      if (body == null) {
        throw new GrammarException("the grammar refers to '" + name + "', which it does not define");
      }
      int rule = newRule();
      ruleIds.put(name, rule);
      bodies.set(rule, alternativesOf(body));
      return rule;
    }

    private int newRule() {
      if (bodies.size() >= MAX_RULES) {
        throw new GrammarException("the constraint is too large: it compiles to more than " + MAX_RULES
            + " grammar rules; lower its bounds (maxLength, maxItems, integer ranges) or simplify it");
      }
      bodies.add(List.of());
      return bodies.size() - 1;
    }

    private int anonymousRule(Expr body) {
      int rule = newRule();
      bodies.set(rule, alternativesOf(body));
      return rule;
    }

    private List<int[]> alternativesOf(Expr body) {
      if (body instanceof Expr.Alt alt) {
        List<int[]> result = new ArrayList<>();
        for (Expr choice : alt.choices()) {
          result.add(sequence(choice));
        }
        return result;
      }
      return List.of(sequence(body));
    }

    private int[] sequence(Expr e) {
      List<Integer> out = new ArrayList<>();
      append(e, out);
      return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void append(Expr e, List<Integer> out) {
      switch (e) {
        case Expr.Chars c -> {
          if (c.set().isEmpty()) {
            throw new GrammarException("the constraint has an empty character class, which nothing can match");
          }
          out.add(-charSetIds.computeIfAbsent(c.set(), k -> charSetIds.size()) - 1);
        }
        case Expr.Seq s -> s.parts().forEach(p -> append(p, out));
        case Expr.Alt a -> out.add(anonymousRule(a));
        case Expr.Ref r -> out.add(namedRule(r.rule()));
        case Expr.Repeat r -> appendRepeat(r, out);
      }
    }

    private void appendRepeat(Expr.Repeat r, List<Integer> out) {
      if (r.max() == 0) {
        return;
      }
      boolean loops = r.max() == Expr.Repeat.UNBOUNDED || r.max() - r.min() > 1;
      if (loops && Expr.nullable(r.body(), this::isNullable)) {
        throw new GrammarException("a repeated part of the constraint can match the empty string, which would"
            + " repeat forever; make the repeated part match at least one character");
      }
      int body = simple(r.body()) ? -1 : anonymousRule(r.body());
      Expr once = body < 0 ? r.body() : null;
      for (int i = 0; i < r.min(); i++) {
        if (once != null) {
          append(once, out);
        } else {
          out.add(body);
        }
      }
      if (r.max() == Expr.Repeat.UNBOUNDED) {
        // star ::= body star | ε  (the tail reference needs no stack: the matcher returns past it)
        int star = newRule();
        int[] loop = once != null ? concat(sequence(once), star) : new int[] {body, star};
        bodies.set(star, List.of(loop, new int[0]));
        out.add(star);
        return;
      }
      // optional_k ::= body optional_(k-1) | ε, optional_0 absent
      int previous = -1;
      for (int k = 1; k <= r.max() - r.min(); k++) {
        int rule = newRule();
        int[] some = once != null ? sequence(once) : new int[] {body};
        if (previous >= 0) {
          some = concat(some, previous);
        }
        bodies.set(rule, List.of(some, new int[0]));
        previous = rule;
      }
      if (previous >= 0) {
        out.add(previous);
      }
    }

    private static boolean simple(Expr e) {
      return e instanceof Expr.Chars || e instanceof Expr.Ref;
    }

    private static int[] concat(int[] elements, int last) {
      int[] out = java.util.Arrays.copyOf(elements, elements.length + 1);
      out[elements.length] = last;
      return out;
    }

    private boolean isNullable(String rule) {
      Boolean known = nullable.get(rule);
      if (known != null) {
        return known;
      }
      nullable.put(rule, false); // a rule that reaches itself before matching anything is not nullable through that path
      Expr body = named.get(rule);
      boolean result = body != null && Expr.nullable(body, this::isNullable);
      nullable.put(rule, result);
      return result;
    }
  }
}
