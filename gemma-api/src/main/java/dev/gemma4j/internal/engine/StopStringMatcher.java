package dev.gemma4j.internal.engine;

import java.util.List;

/**
 * Watches generated text for stop strings. Text that could still become the start of a stop string is
 * held back, so a streamed chunk never shows part of a stop string that then ends the generation.
 */
final class StopStringMatcher {
  private final List<String> stops;
  private final boolean includeStop;
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;

  StopStringMatcher(List<String> stops) {
    this(stops, false);
  }

  /** @param includeStop the text shown ends with the stop string rather than before it */
  StopStringMatcher(List<String> stops, boolean includeStop) {
    this.stops = stops;
    this.includeStop = includeStop;
  }

  /** Adds text; returns what may be shown now. After a stop string, {@link #stopped()} is true. */
  String accept(String text) {
    if (stopped) {
      return "";
    }
    held.append(text);
    if (stops.isEmpty()) {
      String out = held.toString();
      held.setLength(0);
      return out;
    }
    int stopAt = -1;
    int stopEnd = -1;
    for (String stop : stops) {
      int i = held.indexOf(stop);
      if (i >= 0 && (stopAt < 0 || i < stopAt)) {
        stopAt = i;
        stopEnd = i + stop.length();
      }
    }
    if (stopAt >= 0) {
      stopped = true;
      String out = held.substring(0, includeStop ? stopEnd : stopAt);
      held.setLength(0);
      return out;
    }
    int keep = 0;
    for (String stop : stops) {
      for (int len = Math.min(stop.length() - 1, held.length()); len > keep; len--) {
        if (held.substring(held.length() - len).equals(stop.substring(0, len))) {
          keep = len;
          break;
        }
      }
    }
    String out = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return out;
  }

  /** Adds text that no stop string may end (before a request's minimum length): all of it may be shown. */
  String pass(String text) {
    String out = held + text;
    held.setLength(0);
    return out;
  }

  /** Releases held-back text at the end of a generation that did not stop on a string. */
  String finish() {
    String out = stopped ? "" : held.toString();
    held.setLength(0);
    return out;
  }

  boolean stopped() {
    return stopped;
  }
}
