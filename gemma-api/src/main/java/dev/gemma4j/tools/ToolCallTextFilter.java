package dev.gemma4j.tools;

/**
 * Streams the text of a response that may contain tool calls: passes text through until a call opens
 * ({@link ToolCalling#CALL_OPENING}), holding back an end of text that could be the start of one, and passes
 * nothing from the opening on (the calls are delivered parsed, at the end). Not thread-safe: one per response.
 */
public final class ToolCallTextFilter {
  private final StringBuilder held = new StringBuilder();
  private boolean callOpened;

  /** Takes the next piece of generated text; returns what may be shown now (possibly empty). */
  public String accept(String piece) {
    if (callOpened) {
      return "";
    }
    held.append(piece);
    int opening = held.indexOf(ToolCalling.CALL_OPENING);
    if (opening >= 0) {
      callOpened = true;
      String before = held.substring(0, opening);
      held.setLength(0);
      return before;
    }
    int keep = possibleOpeningLength();
    String shown = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return shown;
  }

  /** The text held back at the end, when no call opened; empty when one did. */
  public String finish() {
    String rest = callOpened ? "" : held.toString();
    held.setLength(0);
    return rest;
  }

  /** Whether a call opened. */
  public boolean callOpened() {
    return callOpened;
  }

  private int possibleOpeningLength() {
    String marker = ToolCalling.CALL_OPENING;
    for (int k = Math.min(marker.length() - 1, held.length()); k > 0; k--) {
      if (held.length() >= k && held.substring(held.length() - k).equals(marker.substring(0, k))) {
        return k;
      }
    }
    return 0;
  }
}
