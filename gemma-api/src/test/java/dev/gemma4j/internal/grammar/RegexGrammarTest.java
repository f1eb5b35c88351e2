package dev.gemma4j.internal.grammar;

import static dev.gemma4j.internal.grammar.GrammarTestSupport.compile;
import static dev.gemma4j.internal.grammar.GrammarTestSupport.matches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.ResponseFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Regular expressions to grammars: the same whole-text matches as java.util.regex on every short text. */
class RegexGrammarTest {

  @ParameterizedTest
  @ValueSource(strings = {"a*b", "(ab|c)+", "[a-c]{2,3}", "a?b?c?", "(a|b)*c(a|b)?", "[^b]+", "\\d{1,2}|x",
      "a{2,}", "(?:ab){0,2}c", ".b.", "[\\d-]+", "ab|", "^a\\.b$", "a+?b", "[a\\-c]"})
  void matchesWhatJavaMatches(String pattern) {
    Constraint c = compile(ResponseFormat.regex(pattern));
    Pattern java = Pattern.compile(pattern);
    for (String text : texts("abc1.-", 5)) {
      assertEquals(java.matcher(text).matches(), matches(c, text), () -> "/" + pattern + "/ on \"" + text + "\"");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"(a)\\1", "a(?=b)", "\\bword", "a**", "(ab", "[z-a]", "a{3,2}", "(a*)*"})
  void unsupportedOrMalformedPatternsAreRefused(String pattern) {
    GrammarException e = assertThrows(GrammarException.class, () -> compile(ResponseFormat.regex(pattern)));
    assertTrue(e.getMessage().contains(pattern) || e.getMessage().contains("repeat"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"yes", "no", "maybe not"})
  void choices(String text) {
    Constraint c = compile(ResponseFormat.choice(List.of("yes", "no", "maybe not")));
    assertTrue(matches(c, text));
    assertTrue(!matches(c, text + " ") && !matches(c, text.substring(1)));
  }

  private static List<String> texts(String alphabet, int maxLength) {
    List<String> out = new ArrayList<>();
    out.add("");
    List<String> frontier = List.of("");
    for (int length = 1; length <= maxLength; length++) {
      List<String> next = new ArrayList<>();
      for (String prefix : frontier) {
        for (char ch : alphabet.toCharArray()) {
          next.add(prefix + ch);
        }
      }
      out.addAll(next);
      frontier = next;
    }
    return out;
  }
}
