package dev.gemma4j.internal.remote;

import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The servers of a remote engine and the choice among them: the one with the fewest requests in flight
 * among those not ejected; a server that refused a connection or answered 5xx is ejected for a while
 * (passive outlier detection, as Envoy does it) and readmitted after, or at once when every other server
 * is ejected too.
 */
final class EndpointPool {
  private final List<Endpoint> endpoints;
  private final long ejectNanos;

  EndpointPool(List<URI> bases, Duration ejectFor) {
    this.endpoints = bases.stream().map(Endpoint::new).toList();
    this.ejectNanos = ejectFor.toNanos();
  }

  List<Endpoint> all() {
    return endpoints;
  }

  /**
   * The server for the next try, its in-flight count already raised; {@code tried} are those that
   * failed this request. Empty when every server failed this request.
   */
  synchronized Optional<Endpoint> acquire(Collection<Endpoint> tried) {
    long now = System.nanoTime();
    Optional<Endpoint> choice =
        endpoints.stream().filter(e -> !tried.contains(e) && !e.ejectedAt(now))
            .min(Comparator.comparingInt(Endpoint::inFlight));
    if (choice.isEmpty()) {
      // Every untried server is ejected: try the one whose ejection ends first rather than none.
      choice = endpoints.stream().filter(e -> !tried.contains(e)).min(Comparator.comparingLong(Endpoint::ejectedUntil));
    }
    choice.ifPresent(Endpoint::acquire);
    return choice;
  }

  void eject(Endpoint endpoint) {
    endpoint.eject(System.nanoTime() + ejectNanos);
  }

  void succeeded(Endpoint endpoint) {
    endpoint.readmit();
  }

  /** Whether any server is not ejected now. */
  boolean anyAvailable() {
    long now = System.nanoTime();
    return endpoints.stream().anyMatch(e -> !e.ejectedAt(now));
  }
}
