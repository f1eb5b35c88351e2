package dev.gemma4j.internal.grammar;

import static dev.gemma4j.internal.grammar.GrammarTestSupport.assertValid;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Masks over Gemma's real 256,000-token vocabulary: random generation under them validates, a token the
 * mask allows is one whose text the grammar accepts, and byte pieces and special tokens never appear.
 */
class GemmaVocabularyMaskTest {
  private static GemmaTokenizer tokenizer;
  private static TokenTrie trie;

  @BeforeAll
  static void load() {
    tokenizer = GemmaTokenizer.load(TestFixtures.path("tiny-gemma2-tok"));
    long start = System.nanoTime();
    trie = TokenTrie.of(tokenizer.tokenTexts());
    System.out.printf("token trie of %d tokens: %d nodes in %d ms%n", trie.vocabSize(), trie.nodeCount(),
        (System.nanoTime() - start) / 1_000_000);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void randomGenerationOverTheRealVocabularyValidates() {
    long start = System.nanoTime();
    Constraint c = Constraint.compile(ResponseFormat.jsonSchema(JsonSchemaGrammarTest.PERSON), trie);
    System.out.printf("compiled in %.1f ms%n", (System.nanoTime() - start) / 1e6);
    int eos = tokenizer.eosId();
    for (long seed = 1; seed <= 6; seed++) {
      start = System.nanoTime();
      String text = walk(c, seed, eos);
      long walks = c.automaton().maskWalks();
      System.out.printf("seed %d: %.1f ms, %d mask walks so far (%.1f ms), %d states: %s%n", seed,
          (System.nanoTime() - start) / 1e6, walks, c.automaton().maskWalkNanos() / 1e6, c.automaton().stateCount(), text);
      assertNotNull(text);
      assertValid(JsonSchemaGrammarTest.PERSON, text);
    }
  }

  private static String walk(Constraint c, long seed, int eos) {
    java.util.Random random = new java.util.Random(seed);
    GrammarMatcher matcher = new GrammarMatcher(c, Set.of(eos));
    StringBuilder text = new StringBuilder();
    float[] logits = new float[trie.vocabSize()];
    for (int step = 0; step < 2_000; step++) {
      java.util.Arrays.fill(logits, 0);
      matcher.mask(logits);
      // prefer short tokens half the time so strings end, as a model closing its quotes would
      int token = -1;
      int seen = 0;
      boolean shortOnly = random.nextBoolean();
      for (int t = 0; t < logits.length; t++) {
        if (logits[t] == 0 && (!shortOnly || t == eos || trie.text(t) != null && trie.text(t).length <= 1)) {
          if (random.nextInt(++seen) == 0) {
            token = t;
          }
        }
      }
      assertTrue(token >= 0, "no token allowed after " + text);
      if (token == eos) {
        return text.toString();
      }
      int[] chars = trie.text(token);
      assertNotNull(chars, "a token without text was allowed: " + token);
      matcher.accept(token);
      text.append(new String(chars, 0, chars.length));
    }
    return null;
  }
}
