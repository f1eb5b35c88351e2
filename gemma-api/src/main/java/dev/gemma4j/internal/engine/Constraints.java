package dev.gemma4j.internal.engine;

import dev.gemma4j.ResponseFormat;
import dev.gemma4j.internal.grammar.Constraint;
import dev.gemma4j.internal.grammar.TokenTrie;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An engine's compiled response formats: the vocabulary's token trie, built on first use, and the last
 * {@value #CAPACITY} constraints by format, so requests of one schema share its grammar, states and masks.
 * Compiling happens on the submitting thread (so a bad schema fails its submission); a constraint's caches
 * then grow on the engine thread only.
 */
final class Constraints {
  static final int CAPACITY = 64;

  private final @Nullable GemmaTokenizer tokenizer;
  private @Nullable TokenTrie trie;
  private final Map<ResponseFormat, Constraint> compiled = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ResponseFormat, Constraint> eldest) {
      return size() > CAPACITY;
    }
  };

  Constraints(@Nullable GemmaTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /**
   * The constraint of {@code format}, compiled now or before.
   *
   * @throws IllegalArgumentException naming what the format asks that cannot be done (an unsupported schema
   *     keyword, a malformed pattern), or when the model has no tokenizer
   */
  synchronized Constraint get(ResponseFormat format) {
    Constraint known = compiled.get(format);
    if (known != null) {
      return known;
    }
    if (tokenizer == null) {
      throw new IllegalArgumentException("a response format needs the model's tokenizer.json (the grammar is matched"
          + " against the tokens' text), and this model has none; add it to the checkpoint folder");
    }
    if (trie == null) {
      trie = TokenTrie.of(tokenizer.tokenTexts());
    }
    Constraint constraint = Constraint.compile(format, trie);
    compiled.put(format, constraint);
    return constraint;
  }
}
