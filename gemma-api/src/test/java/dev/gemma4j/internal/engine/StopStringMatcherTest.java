package dev.gemma4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringMatcherTest {
  @Test
  void passesTextThroughWithoutStops() {
    StopStringMatcher m = new StopStringMatcher(List.of());
    assertEquals("abc", m.accept("abc"));
    assertEquals("", m.finish());
  }

  @Test
  void holdsBackAPossibleStartAndCutsBeforeTheStop() {
    StopStringMatcher m = new StopStringMatcher(List.of("END"));
    assertEquals("hello ", m.accept("hello E"));
    assertEquals("", m.accept("N"));
    assertFalse(m.stopped());
    assertEquals("", m.accept("D and more"));
    assertTrue(m.stopped());
    assertEquals("", m.accept("ignored"));
  }

  @Test
  void releasesHeldTextThatDidNotBecomeAStop() {
    StopStringMatcher m = new StopStringMatcher(List.of("END"));
    assertEquals("x", m.accept("xE"));
    assertEquals("EX", m.accept("X"));
    assertEquals("", m.accept("EN"));
    assertEquals("EN", m.finish());
  }

  @Test
  void theEarliestOfSeveralStopsWins() {
    StopStringMatcher m = new StopStringMatcher(List.of("\n\n", "b"));
    assertEquals("a", m.accept("ab\n\n"));
    assertTrue(m.stopped());
  }

  @Test
  void textBeforeTheMinimumLengthPassesWholeAndTheStringStillStopsAfter() {
    StopStringMatcher m = new StopStringMatcher(List.of("END"));
    assertEquals("a END b", m.pass("a END b"), "min_tokens: no stop string ends it yet");
    assertFalse(m.stopped());
    assertEquals("c ", m.accept("c END"));
    assertTrue(m.stopped());
  }

  @Test
  void theStopStringCanEndTheTextInsteadOfBeingCut() {
    StopStringMatcher m = new StopStringMatcher(List.of("END", "NEVER"), true);
    assertEquals("a ", m.accept("a E"), "a possible start of a stop string is held back");
    assertEquals("END", m.accept("ND b"), "the text ends with the stop string, nothing after it");
    assertTrue(m.stopped());
  }
}
