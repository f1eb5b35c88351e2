package dev.gemma4j.internal.grammar;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A grammar run as a pushdown automaton over characters, with everything it computes kept for the next
 * request of the same constraint (xgrammar's token-mask cache): stacks are interned as nodes ({@code
 * position, parent}), the set of stacks after a prefix is an interned state, each state's transition on a
 * character is computed once, and each state's token mask once (a walk of the {@link TokenTrie}). A grammar
 * with a bounded language has finitely many states, so after warm-up a step costs a lookup.
 *
 * <p>Stacks follow llama.cpp's grammar matcher: the top is the next character set to match, below it the
 * positions to return to; a reference in tail position pushes nothing, so right recursion (repetition)
 * keeps the stack flat. Not thread-safe: one engine thread uses it.
 */
public final class GrammarAutomaton {
  /** The state with no stack left: nothing more can be matched. */
  static final int DEAD = 0;
  /** The node that stands for an empty stack: the grammar has matched a whole sentence. */
  private static final int ACCEPT = 0;
  private static final int NO_PARENT = -1;
  /** Expansion deeper than this means a rule reaches itself without consuming a character. */
  private static final int MAX_EXPANSION_DEPTH = 2_000;
  /** Masks kept per grammar; states past it are recomputed when met (the walk is their whole cost). */
  private static final int MAX_CACHED_MASKS = 4_096;

  private final Grammar grammar;
  private final TokenTrie trie;

  private final LongIntMap nodeIds = new LongIntMap();
  private int[] nodePosition = new int[256];
  private int[] nodeParent = new int[256];
  private int nodeCount = 1; // node 0 is ACCEPT

  /** States by their sorted nodes (an {@link IntBuffer} compares by content). */
  private final Map<IntBuffer, Integer> stateIds = new HashMap<>();
  private final List<State> states = new ArrayList<>();
  private final Map<Long, int[]> expansions = new HashMap<>();
  private final Map<Integer, TokenMask> masks = new HashMap<>();
  private final int initial;
  private long maskWalkNanos;
  private int maskWalks;

  /**
   * @throws GrammarException when the grammar refers to itself without matching a character
   */
  GrammarAutomaton(Grammar grammar, TokenTrie trie) {
    this.grammar = grammar;
    this.trie = trie;
    states.add(new State(new int[0], new CharSet[0], false)); // DEAD
    stateIds.put(IntBuffer.wrap(new int[0]), DEAD);
    IntList start = new IntList();
    for (int alternative : grammar.alternatives(grammar.root())) {
      expand(alternative, NO_PARENT, start, 0);
    }
    initial = state(start);
  }

  int initialState() {
    return initial;
  }

  /** Whether the grammar has matched a whole sentence in {@code state} (the output may end here). */
  boolean accepting(int state) {
    return states.get(state).accepting;
  }

  /** Whether {@code state} can match more characters. */
  boolean canContinue(int state) {
    return states.get(state).stackNodes.length > 0;
  }

  /**
   * The state after {@code codePoint}, or {@link #DEAD}. Which state follows depends only on which of the
   * state's stacks accept the character, so transitions are kept per such subset (a string's state has a
   * handful, whatever the character), and per character for ASCII.
   */
  int step(int state, int codePoint) {
    State from = states.get(state);
    if (codePoint < 128) {
      int known = from.ascii[codePoint];
      if (known >= 0) {
        return known;
      }
    }
    long accepting = 0;
    for (int i = 0; i < from.sets.length; i++) {
      if (from.sets[i].contains(codePoint)) {
        accepting |= 1L << i;
      }
    }
    int next = accepting == 0 ? DEAD : from.bySubset.get(accepting);
    if (next < 0) {
      IntList out = new IntList();
      for (int i = 0; i < from.sets.length; i++) {
        if ((accepting >>> i & 1) != 0) {
          int node = from.stackNodes[i];
          expand(nodePosition[node] + 1, nodeParent[node], out, 0);
        }
      }
      next = state(out);
      from.bySubset.put(accepting, next);
    }
    if (codePoint < 128) {
      from.ascii[codePoint] = next;
    }
    return next;
  }

  /** The state after a token's text, or {@link #DEAD} when the grammar rejects it (or it has no text). */
  int stepToken(int state, int token) {
    int[] text = trie.text(token);
    return text == null || text.length == 0 ? DEAD : stepText(state, text);
  }

  /** The state after {@code codePoints}, or {@link #DEAD}. */
  int stepText(int state, int[] codePoints) {
    for (int c : codePoints) {
      state = step(state, c);
      if (state == DEAD) {
        return DEAD;
      }
    }
    return state;
  }

  TokenTrie trie() {
    return trie;
  }

  /** The tokens allowed in {@code state}: those whose whole text the grammar accepts (stop tokens are the matcher's). */
  TokenMask mask(int state) {
    TokenMask cached = masks.get(state);
    if (cached != null) {
      return cached;
    }
    long start = System.nanoTime();
    TokenMask.Builder mask = new TokenMask.Builder(trie.vocabSize());
    int[] stateAtDepth = new int[trie.maxDepth() + 1];
    stateAtDepth[0] = state;
    int n = trie.nodeCount();
    for (int i = 0; i < n; ) {
      int next = step(stateAtDepth[trie.nodeDepth(i) - 1], trie.nodeChar(i));
      if (next == DEAD) {
        i = trie.subtreeEnd(i);
        continue;
      }
      stateAtDepth[trie.nodeDepth(i)] = next;
      for (int t = trie.firstToken(i); t >= 0; t = trie.nextToken(t)) {
        mask.allow(t);
      }
      i++;
    }
    TokenMask result = mask.build();
    maskWalkNanos += System.nanoTime() - start;
    maskWalks++;
    if (masks.size() < MAX_CACHED_MASKS) {
      masks.put(state, result);
    }
    return result;
  }

  /** The mask of {@code state} if it was computed and kept, else {@code null}. */
  TokenMask cachedMask(int state) {
    return masks.get(state);
  }

  /** Time spent walking the trie, and how many walks: what the cache saves. */
  long maskWalkNanos() {
    return maskWalkNanos;
  }

  int maskWalks() {
    return maskWalks;
  }

  int stateCount() {
    return states.size();
  }

  private void expand(int position, int parent, IntList out, int depth) {
    if (depth > MAX_EXPANSION_DEPTH) {
      throw new GrammarException("the constraint's grammar refers to itself without matching a character"
          + " (left recursion, e.g. a $ref cycle with nothing in between); it cannot be matched");
    }
    int element = grammar.element(position);
    if (element == Grammar.END) {
      if (parent == NO_PARENT) {
        out.add(ACCEPT);
      } else {
        expand(nodePosition[parent], nodeParent[parent], out, depth + 1);
      }
    } else if (Grammar.isCharSet(element)) {
      out.add(node(position, parent));
    } else {
      long key = (long) position << 32 | (parent & 0xffffffffL);
      int[] known = expansions.get(key);
      if (known == null) {
        IntList here = new IntList();
        int returnTo = grammar.element(position + 1) == Grammar.END ? parent : node(position + 1, parent);
        for (int alternative : grammar.alternatives(element)) {
          expand(alternative, returnTo, here, depth + 1);
        }
        known = here.toArray();
        expansions.put(key, known);
      }
      out.addAll(known);
    }
  }

  private int node(int position, int parent) {
    long key = (long) position << 32 | (parent & 0xffffffffL);
    int id = nodeIds.get(key);
    if (id >= 0) {
      return id;
    }
    if (nodeCount == nodePosition.length) {
      nodePosition = Arrays.copyOf(nodePosition, nodeCount * 2);
      nodeParent = Arrays.copyOf(nodeParent, nodeCount * 2);
    }
    id = nodeCount++;
    nodePosition[id] = position;
    nodeParent[id] = parent;
    nodeIds.put(key, id);
    return id;
  }

  private int state(IntList nodes) {
    int[] sorted = nodes.toSortedUniqueArray();
    IntBuffer key = IntBuffer.wrap(sorted);
    Integer id = stateIds.get(key);
    if (id != null) {
      return id;
    }
    int created = states.size();
    boolean accepting = sorted.length > 0 && sorted[0] == ACCEPT;
    int[] stacks = accepting ? Arrays.copyOfRange(sorted, 1, sorted.length) : sorted;
    if (stacks.length > 63) {
      throw new GrammarException("the constraint is too ambiguous: more than 63 ways to read its text are open at"
          + " once; simplify its alternatives (anyOf branches that begin alike, optional parts in a row)");
    }
    CharSet[] sets = new CharSet[stacks.length];
    for (int i = 0; i < stacks.length; i++) {
      sets[i] = grammar.charSet(grammar.element(nodePosition[stacks[i]]));
    }
    states.add(new State(stacks, sets, accepting));
    stateIds.put(key, created);
    return created;
  }

  /** An interned set of stacks and the transitions found from it. */
  private static final class State {
    final int[] stackNodes; // the stacks' top nodes, ACCEPT left out
    final CharSet[] sets; // the character set each stack's top matches
    final boolean accepting;
    final int[] ascii = new int[128];
    final LongIntMap bySubset = new LongIntMap();

    State(int[] stackNodes, CharSet[] sets, boolean accepting) {
      this.stackNodes = stackNodes;
      this.sets = sets;
      this.accepting = accepting;
      Arrays.fill(ascii, -1);
    }
  }

  /** A growable list of ints. */
  static final class IntList {
    private int[] values = new int[8];
    private int size;

    void add(int value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    void addAll(int[] more) {
      for (int v : more) {
        add(v);
      }
    }

    int[] toArray() {
      return Arrays.copyOf(values, size);
    }

    int[] toSortedUniqueArray() {
      int[] a = toArray();
      Arrays.sort(a);
      int n = 0;
      for (int i = 0; i < a.length; i++) {
        if (n == 0 || a[n - 1] != a[i]) {
          a[n++] = a[i];
        }
      }
      return Arrays.copyOf(a, n);
    }
  }
}
