package dev.gemma4j.internal.grammar;

import java.util.Set;

/**
 * One request's place in a {@link Constraint}: which tokens it may take next and the state after each one
 * it took. With a trigger, the request is free until its text contains the trigger, and constrained from
 * the character after it. Stop tokens are allowed exactly when the grammar has matched a whole sentence
 * (always while a lazy grammar waits for its trigger). Used on the engine thread only.
 */
public final class GrammarMatcher {
  private final Constraint constraint;
  private final GrammarAutomaton automaton;
  private final int[] stopTokens;
  private final StringBuilder recentText = new StringBuilder();
  private boolean active;
  private int state;

  /** @param stopTokens the request's stop ids (end of sequence and its own) */
  public GrammarMatcher(Constraint constraint, Set<Integer> stopTokens) {
    this.constraint = constraint;
    this.automaton = constraint.automaton();
    this.stopTokens = stopTokens.stream().mapToInt(Integer::intValue).sorted().toArray();
    this.active = constraint.eager();
    this.state = automaton.initialState();
  }

  /** Whether the grammar applies now (a lazy one after its trigger). */
  public boolean active() {
    return active;
  }

  /** Whether {@code token} may come next. */
  public boolean allows(int token) {
    if (!active) {
      return true;
    }
    if (isStop(token)) {
      return automaton.accepting(state);
    }
    return automaton.stepToken(state, token) != GrammarAutomaton.DEAD;
  }

  /**
   * Sets the logits of every token that may not come next to negative infinity.
   *
   * @return how many tokens remain allowed
   */
  public int mask(float[] logits) {
    if (!active) {
      return logits.length;
    }
    float[] stops = new float[stopTokens.length];
    for (int i = 0; i < stopTokens.length; i++) {
      stops[i] = stopTokens[i] < logits.length ? logits[stopTokens[i]] : Float.NEGATIVE_INFINITY;
    }
    int allowed = 0;
    if (state != GrammarAutomaton.DEAD) {
      TokenMask mask = automaton.mask(state);
      mask.apply(logits);
      allowed = mask.count();
    } else {
      java.util.Arrays.fill(logits, Float.NEGATIVE_INFINITY);
    }
    if (stopsAllowed()) {
      for (int i = 0; i < stopTokens.length; i++) {
        if (stopTokens[i] < logits.length) {
          logits[stopTokens[i]] = stops[i];
          allowed++;
        }
      }
    }
    return allowed;
  }

  /**
   * The tokens that may come next, in increasing order, when they are few (a list, not a bitmap): then a
   * sampler can draw among them alone instead of over the whole vocabulary. {@code null} when the grammar is
   * not active, its mask is dense, or ({@code compute} false) its mask was not computed yet.
   */
  public int @org.jspecify.annotations.Nullable [] fewAllowed(boolean compute) {
    if (!active) {
      return null;
    }
    int[] ids = new int[0];
    if (state != GrammarAutomaton.DEAD) {
      TokenMask mask = compute ? automaton.mask(state) : automaton.cachedMask(state);
      if (mask == null || mask.sparseIds() == null) {
        return null;
      }
      ids = mask.sparseIds();
    }
    if (!stopsAllowed()) {
      return ids;
    }
    int[] merged = java.util.Arrays.copyOf(ids, ids.length + stopTokens.length);
    System.arraycopy(stopTokens, 0, merged, ids.length, stopTokens.length);
    java.util.Arrays.sort(merged);
    return merged;
  }

  /** Advances past {@code token}, which the request took. */
  public void accept(int token) {
    if (isStop(token)) {
      return;
    }
    if (active) {
      state = automaton.stepToken(state, token);
      return;
    }
    int[] text = automaton.trie().text(token);
    if (text == null) {
      return;
    }
    String trigger = constraint.trigger();
    recentText.append(new String(text, 0, text.length));
    int found = recentText.indexOf(trigger);
    if (found >= 0) {
      active = true;
      int[] rest = recentText.substring(found + trigger.length()).codePoints().toArray();
      state = automaton.stepText(automaton.initialState(), rest);
      return;
    }
    int keep = trigger.length() - 1;
    if (recentText.length() > keep) { // only the last characters can begin the trigger
      recentText.delete(0, recentText.length() - keep);
    }
  }

  /** Whether the grammar is active and has matched a whole sentence that nothing can extend: only a stop token may follow. */
  public boolean complete() {
    return active && automaton.accepting(state) && !automaton.canContinue(state);
  }

  /**
   * Whether a stop token may come next: when the grammar has matched a whole sentence, or when it is dead (a
   * lazy grammar's opening followed by what it cannot match), so that the output can still end.
   */
  private boolean stopsAllowed() {
    return automaton.accepting(state) || state == GrammarAutomaton.DEAD;
  }

  private boolean isStop(int token) {
    return java.util.Arrays.binarySearch(stopTokens, token) >= 0;
  }
}
