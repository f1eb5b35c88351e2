package dev.gemma4j.internal.remote;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/** One server of a remote engine: its base URL, its requests in flight, and until when it is ejected. */
final class Endpoint {
  private final URI base;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean ejected;
  private volatile long ejectedUntilNanos;

  Endpoint(URI base) {
    String text = base.toString();
    this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
  }

  URI base() {
    return base;
  }

  /** {@code base + path}, for paths such as {@code /chat/completions}. */
  URI resolve(String path) {
    return URI.create(base + path);
  }

  int inFlight() {
    return inFlight.get();
  }

  void acquire() {
    inFlight.incrementAndGet();
  }

  void release() {
    inFlight.decrementAndGet();
  }

  boolean ejectedAt(long nanos) {
    return ejected && nanos - ejectedUntilNanos < 0;
  }

  /** When the ejection ends, for choosing among ejected servers; meaningful only while ejected. */
  long ejectedUntil() {
    return ejectedUntilNanos;
  }

  void eject(long untilNanos) {
    ejectedUntilNanos = untilNanos;
    ejected = true;
  }

  void readmit() {
    ejected = false;
  }

  @Override
  public String toString() {
    return base.toString();
  }
}
