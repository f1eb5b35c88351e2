package dev.gemma4j.internal.grammar;

/** A constraint that cannot be compiled: an unsupported schema feature, a bad regex, a grammar too large. */
public final class GrammarException extends IllegalArgumentException {
  public GrammarException(String message) {
    super(message);
  }
}
