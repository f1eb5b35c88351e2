package dev.gemma4j.hub;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a download stream that has delivered nothing for too long, so that a stalled connection (which
 * HTTP clients otherwise wait on forever) ends in an {@link IOException} and the transfer is resumed.
 */
final class StallWatchdog implements AutoCloseable {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("gemma-download-watchdog").unstarted(r));

  private final Closeable stream;
  private final long timeoutNanos;
  private final ScheduledFuture<?> check;
  private volatile long lastProgress = System.nanoTime();
  private volatile boolean fired;

  StallWatchdog(Closeable stream, Duration timeout) {
    this.stream = stream;
    this.timeoutNanos = timeout.toNanos();
    long period = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
    this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  void progressed() {
    lastProgress = System.nanoTime();
  }

  boolean fired() {
    return fired;
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
