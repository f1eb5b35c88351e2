package dev.gemma4j.internal.remote;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code data:} payloads of a server-sent event stream, one line at a time, with a bound on the
 * line length so that a server that never ends a line cannot exhaust memory.
 */
final class SseReader {
  static final int MAX_LINE_BYTES = 4 << 20;

  private final InputStream in;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  SseReader(InputStream in) {
    this.in = in;
  }

  /** The next {@code data:} payload, or {@code null} at the end of the stream. */
  @Nullable String nextData() throws IOException {
    String text;
    while ((text = nextLine()) != null) {
      if (text.startsWith("data:")) {
        return text.substring(5).strip();
      }
      // comments (": keep-alive"), event names, ids and blank separators carry nothing we use
    }
    return null;
  }

  private @Nullable String nextLine() throws IOException {
    line.reset();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        return decode();
      }
      if (line.size() >= MAX_LINE_BYTES) {
        throw new IOException("the server sent an event line longer than " + MAX_LINE_BYTES + " bytes");
      }
      line.write(b);
    }
    return line.size() > 0 ? decode() : null;
  }

  private String decode() {
    String text = line.toString(StandardCharsets.UTF_8);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }
}
