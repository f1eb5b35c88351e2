package dev.gemma4j.hub;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a download stream that has delivered too little for too long, so that a stalled connection
 * (which HTTP clients otherwise wait on forever) or one trickling a byte at a time ends in an
 * {@link IOException} and the transfer is resumed. A transfer must deliver {@link #MIN_BYTES} (or end)
 * within every timeout.
 */
final class StallWatchdog implements AutoCloseable {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("gemma-download-watchdog").unstarted(r));

  /** What a transfer must deliver per timeout to count as moving. */
  static final int MIN_BYTES = 16 << 10;

  private final Closeable stream;
  private final long timeoutNanos;
  private final ScheduledFuture<?> check;
  private volatile long lastProgress = System.nanoTime();
  private long bytesSinceProgress;
  private volatile boolean fired;

  StallWatchdog(Closeable stream, Duration timeout) {
    this.stream = stream;
    this.timeoutNanos = timeout.toNanos();
    long period = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
    this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Reads from the watched stream into {@code buffer}; once the watchdog has closed the stream, the
   * read fails with an {@link IOException} that says the transfer stalled.
   */
  int read(InputStream in, byte[] buffer) throws IOException {
    int n;
    try {
      n = in.read(buffer);
    } catch (IOException e) {
      throw fired ? stalled(e) : e;
    }
    if (n < 0 && fired) {
      throw stalled(null);
    }
    if (n > 0) {
      received(n);
    }
    return n;
  }

  private IOException stalled(IOException cause) {
    return new IOException(
        "the transfer stalled: less than " + (MIN_BYTES >> 10) + " KiB arrived in " + timeoutNanos / 1_000_000 + " ms",
        cause);
  }

  private void received(int bytes) {
    bytesSinceProgress += bytes;
    if (bytesSinceProgress >= MIN_BYTES) {
      bytesSinceProgress = 0;
      lastProgress = System.nanoTime();
    }
  }

  private void check() {
    if (!fired && System.nanoTime() - lastProgress > timeoutNanos) {
      fired = true;
      try {
        stream.close();
      } catch (IOException e) {
        // closing is all we can do; the reader sees the stream end
      }
    }
  }

  @Override
  public void close() {
    check.cancel(false);
  }
}
