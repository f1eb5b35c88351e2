package dev.gemma4j.hub;

import java.io.Console;
import java.io.PrintStream;
import dev.gemma4j.internal.ByteSizes;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the progress of a model download over all its files: a progress bar on standard error when it
 * is a terminal, otherwise a log line every 10% (and at least every 10 seconds).
 */
final class DownloadProgress {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadProgress.class);

  private final String what;
  private final long totalBytes;
  private final AtomicLong doneBytes = new AtomicLong();
  private final boolean terminal;
  private final PrintStream err;
  private final long startNanos = System.nanoTime();
  private long lastReportNanos;
  private int lastDecile = -1;

  DownloadProgress(String what, long totalBytes) {
    this.what = what;
    this.totalBytes = Math.max(1, totalBytes);
    Console console = System.console();
    this.terminal = console != null && console.isTerminal();
    this.err = System.err;
  }

  void advance(long bytes) {
    long done = doneBytes.addAndGet(bytes);
    report(done, false);
  }

  /** Bytes that were already on disk (a resumed download) count as done without being reported as speed. */
  void alreadyHave(long bytes) {
    doneBytes.addAndGet(bytes);
  }

  void finish() {
    report(doneBytes.get(), true);
    if (terminal) {
      err.println();
    }
  }

  private synchronized void report(long done, boolean last) {
    long now = System.nanoTime();
    int decile = (int) (done * 10 / totalBytes);
    if (terminal) {
      if (!last && now - lastReportNanos < 100_000_000L) {
        return;
      }
      lastReportNanos = now;
      int width = 30;
      int filled = (int) Math.min(width, done * width / totalBytes);
      err.print(
          String.format(
              Locale.ROOT,
              "\r%s [%s%s] %3d%% %s / %s %s/s",
              what,
              "=".repeat(filled),
              " ".repeat(width - filled),
              done * 100 / totalBytes,
              bytes(done),
              bytes(totalBytes),
              bytes((long) (done / Math.max(1e-9, (now - startNanos) / 1e9)))));
      err.flush();
    } else if (last || decile > lastDecile || now - lastReportNanos > 10_000_000_000L) {
      lastDecile = decile;
      lastReportNanos = now;
      LOG.info("{}: {}% ({} of {})", what, done * 100 / totalBytes, bytes(done), bytes(totalBytes));
    }
  }

  static String bytes(long n) {
    return ByteSizes.format(n);
  }

}
