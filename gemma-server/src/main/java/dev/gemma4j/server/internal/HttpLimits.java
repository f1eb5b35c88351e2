package dev.gemma4j.server.internal;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection limits of the JDK's HTTP server ({@code com.sun.net.httpserver}), which it reads from
 * system properties once per JVM, when its first server is created: the time a request's headers and body
 * may take to arrive ({@code sun.net.httpserver.maxReqTime}; a new connection's first byte gets the same or
 * the idle limit, whichever is shorter), the time a kept-alive connection may sit idle
 * ({@code sun.net.httpserver.idleInterval}) and the number of open connections, past which new ones are
 * closed at once ({@code jdk.httpserver.maxConnections}). Without them a client that sends half a request
 * holds its socket forever, and enough such sockets exhaust the process's file descriptors.
 */
public final class HttpLimits {
  private static final Logger LOG = LoggerFactory.getLogger(HttpLimits.class);
  private static @Nullable HttpLimits applied;

  private final long readSeconds;
  private final long idleSeconds;
  private final int maxConnections;

  private HttpLimits(Duration read, Duration idle, int maxConnections) {
    this.readSeconds = ceilSeconds(read);
    this.idleSeconds = ceilSeconds(idle);
    this.maxConnections = maxConnections;
  }

  /**
   * Sets the limits before the first server of this JVM is created. The JDK reads them once: a later
   * server with other limits runs with the first one's, which a warning says.
   */
  public static synchronized void apply(Duration read, Duration idle, int maxConnections) {
    HttpLimits wanted = new HttpLimits(read, idle, maxConnections);
    if (applied == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(wanted.readSeconds));
      System.setProperty("sun.net.httpserver.idleInterval", Long.toString(wanted.idleSeconds));
      System.setProperty("jdk.httpserver.maxConnections", Integer.toString(wanted.maxConnections));
      applied = wanted;
    } else if (!applied.equals(wanted)) {
      LOG.warn("this JVM's HTTP servers read their limits once: this server keeps the first one's ({}), not {}",
          applied, wanted);
    }
  }

  /**
   * Half of the process's file-descriptor limit, within [16, 10000]: a flood of connections is refused
   * while descriptors remain for the checkpoint, the class path and the answers.
   */
  public static int defaultMaxConnections() {
    long descriptors = 4096;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      descriptors = unix.getMaxFileDescriptorCount();
    }
    return (int) Math.clamp(descriptors / 2, 16, 10_000);
  }

  private static long ceilSeconds(Duration d) {
    return Math.max(1, d.plusNanos(999_999_999).toSeconds());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpLimits l
        && l.readSeconds == readSeconds && l.idleSeconds == idleSeconds && l.maxConnections == maxConnections;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(readSeconds * 31 + idleSeconds) * 31 + maxConnections;
  }

  @Override
  public String toString() {
    return "request read " + readSeconds + " s, idle " + idleSeconds + " s, " + maxConnections + " connections";
  }
}
