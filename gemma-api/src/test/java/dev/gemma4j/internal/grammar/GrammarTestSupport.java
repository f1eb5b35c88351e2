package dev.gemma4j.internal.grammar;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.gemma4j.ResponseFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Helpers of the grammar tests: whole-text matching, a small vocabulary, random walks under a mask. */
final class GrammarTestSupport {
  static final int STOP = 0;

  private GrammarTestSupport() {}

  /** Whether the grammar of {@code format} accepts exactly {@code text}. */
  static boolean matches(Constraint constraint, String text) {
    GrammarAutomaton automaton = constraint.automaton();
    return automaton.accepting(automaton.stepText(automaton.initialState(), text.codePoints().toArray()));
  }

  static Constraint compile(ResponseFormat format) {
    return Constraint.compile(format, smallVocabulary());
  }

  /**
   * A vocabulary of every printable ASCII character, some multi-character pieces of JSON and words, a few
   * non-ASCII characters; token 0 is the stop token (no text).
   */
  static TokenTrie smallVocabulary() {
    List<String> texts = new ArrayList<>();
    texts.add(null);
    for (char c = 0x20; c < 0x7f; c++) {
      texts.add(String.valueOf(c));
    }
    texts.addAll(List.of("\n", "\t", "{\"", "\":", "\",", "\"}", "\": \"", "\", \"", "{\n", "\n}", "  ", "    ", "true",
        "false", "null", "name", "age", "12", "345", "-1", "0.", ".5", "e+", "the", " cat", "\\n", "\\\"", "\\u00e9",
        "é", "日本", "\"]", "[\"", "},", "],", "{}", "[]", "1", "-", "abc", "xyz", "@", ".com", "```tool_call", "```",
        "\n```", "{\"name\": \"", "\"arguments\": {"));
    return TokenTrie.of(texts);
  }

  /**
   * Generates by choosing a random allowed token each step (half the time among those that start with
   * punctuation, so strings end), until the stop token or {@code maxTokens}; returns the text, or
   * {@code null} when it did not end.
   */
  static String randomWalk(Constraint constraint, TokenTrie trie, long seed, int maxTokens) {
    Random random = new Random(seed);
    GrammarMatcher matcher = new GrammarMatcher(constraint, Set.of(STOP));
    StringBuilder text = new StringBuilder();
    for (int step = 0; step < maxTokens; step++) {
      float[] logits = new float[trie.vocabSize()];
      int allowed = matcher.mask(logits);
      assertTrue(allowed > 0, "the grammar allows no token after: " + text);
      List<Integer> all = new ArrayList<>();
      List<Integer> punctuation = new ArrayList<>();
      for (int t = 0; t < logits.length; t++) {
        if (logits[t] == 0) {
          all.add(t);
          int[] chars = trie.text(t);
          if (t == STOP || chars != null && !Character.isLetterOrDigit(chars[0]) && chars[0] != ' ') {
            punctuation.add(t);
          }
        }
      }
      List<Integer> pool = !punctuation.isEmpty() && random.nextBoolean() ? punctuation : all;
      int token = pool.get(random.nextInt(pool.size()));
      assertTrue(matcher.allows(token), "the mask allowed a token the matcher refuses: " + token);
      if (token == STOP) {
        return text.toString();
      }
      matcher.accept(token);
      int[] chars = trie.text(token);
      text.append(new String(chars, 0, chars.length));
    }
    return null;
  }

  /** Asserts {@code text} is JSON that {@code schema} accepts, by networknt's validator. */
  static void assertValid(String schema, String text) {
    new tools.jackson.databind.ObjectMapper().readTree(text); // throws when it is not one JSON text
    Schema validator = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
    List<Error> errors = validator.validate(text, InputFormat.JSON);
    assertTrue(errors.isEmpty(), () -> text + " does not match the schema: " + errors);
  }

}
