package dev.gemma4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Parse errors say where and what, in our words, never an empty reason. */
class StrictJsonTest {
  private static String refused(String text) {
    return assertThrows(IllegalArgumentException.class,
        () -> StrictJson.parse(text, "the body", IllegalArgumentException::new)).getMessage();
  }

  @Test
  void whatStandardJsonLacksIsNamedWithThePlaceAndTheText() {
    String nan = refused("{\"temperature\": NaN}");
    assertEquals("the body is not valid JSON: a value standard JSON does not allow (NaN, Infinity, an unquoted word"
        + " or a single-quoted string) at line 1 column 17 path $.temperature (found: 'NaN}')", nan);
    assertTrue(refused("{\"a\": -Infinity}").contains("found: '-Infinity}'"));
    String secondLine = refused("{\"a\": 1,\n \"b\": tru}");
    assertTrue(secondLine.contains("line 2") && secondLine.contains("found: 'tru}'"), secondLine);
  }

  @Test
  void gsonsOwnReasonsKeepTheirWordsWithoutItsAdvice() {
    String colon = refused("{\"a\" 1}");
    assertTrue(colon.startsWith("the body is not valid JSON: Expected ':' at line 1 column 7"), colon);
    assertTrue(!colon.contains("https://") && !colon.contains("setStrictness"), colon);
    String unterminated = refused("{\"a\": \"x");
    assertTrue(unterminated.contains("Unterminated string"), unterminated);
  }
}
