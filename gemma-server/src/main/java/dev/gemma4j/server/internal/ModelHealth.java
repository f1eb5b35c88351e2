package dev.gemma4j.server.internal;

import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Whether the model still answers, for {@code /health}: after {@value #FAILURES_TO_FAIL} generations in a
 * row have failed (a checkpoint truncated under the mapped weights, weights that compute NaN), the replica
 * reports itself unhealthy with the last reason, so that a load balancer stops sending it traffic. While
 * unhealthy, a health check runs a one-token probe at most once per {@link #probeIntervalNanos} (one at a
 * time; other checks report the last result), and one that succeeds, or any request that does, makes it
 * healthy again.
 */
public final class ModelHealth {
  static final int FAILURES_TO_FAIL = 3;

  private final Runnable probe;
  private final long probeIntervalNanos;
  private int failuresInARow;
  private @Nullable String lastFailure;
  private long lastProbeNanos;
  private boolean probed;
  private boolean probing;

  /**
   * @param probe runs a tiny generation, throwing when it fails
   */
  public ModelHealth(Runnable probe) {
    this(probe, TimeUnit.SECONDS.toNanos(1));
  }

  ModelHealth(Runnable probe, long probeIntervalNanos) {
    this.probe = probe;
    this.probeIntervalNanos = probeIntervalNanos;
  }

  /** A generation finished. */
  public synchronized void succeeded() {
    failuresInARow = 0;
    lastFailure = null;
  }

  /** A generation failed in the engine. */
  public synchronized void failed(Throwable cause) {
    failuresInARow++;
    lastFailure = reason(cause);
  }

  private static String reason(Throwable cause) {
    return cause.getMessage() != null ? cause.getMessage() : cause.toString();
  }

  /** {@code null} while the model serves, else why it does not; may run the probe. */
  public @Nullable String problem() {
    synchronized (this) {
      if (failuresInARow < FAILURES_TO_FAIL) {
        return null;
      }
      long now = System.nanoTime();
      if (probing || probed && now - lastProbeNanos < probeIntervalNanos) {
        return lastFailure;
      }
      probing = true;
      probed = true;
      lastProbeNanos = now;
    }
    String failure = null;
    try {
      probe.run();
    } catch (RuntimeException e) {
      failure = reason(e);
    }
    synchronized (this) {
      probing = false;
      if (failure == null) {
        failuresInARow = 0;
        lastFailure = null;
      } else {
        lastFailure = failure;
      }
      return lastFailure;
    }
  }
}
