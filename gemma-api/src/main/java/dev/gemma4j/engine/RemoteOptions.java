package dev.gemma4j.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * How a remote engine talks to OpenAI-compatible servers ({@code gemma serve}, vLLM, vllm-ascend, SGLang,
 * MindIE): timeouts, retries and the ejection of failing servers.
 *
 * @param connectTimeout the longest a TCP connection may take to open
 * @param firstTokenTimeout the longest from sending a request to its first generated token (queueing and
 *     prefill on the server included)
 * @param idleTimeout the longest a stream may go without a generated token once its first has come (a
 *     server that stalls, or sends only keep-alives, is given up on after this)
 * @param totalTimeout the longest one request may take in all
 * @param maxRetries how often a request that has not received a byte of its answer is tried again
 *     (connection refused or reset, HTTP 408, 429 after its {@code Retry-After}, 5xx), on another server
 *     where there is one; a request whose answer has begun is never retried
 * @param ejectFor how long a server that refused a connection or answered 5xx gets no new requests
 *     while another server is available
 */
public record RemoteOptions(
    Duration connectTimeout,
    Duration firstTokenTimeout,
    Duration idleTimeout,
    Duration totalTimeout,
    int maxRetries,
    Duration ejectFor) {

  /** Checks the values. */
  public RemoteOptions {
    for (Duration d : new Duration[] {connectTimeout, firstTokenTimeout, idleTimeout, totalTimeout}) {
      Objects.requireNonNull(d, "timeouts must not be null");
      if (!d.isPositive()) {
        throw new IllegalArgumentException("remote timeouts must be positive: " + d);
      }
    }
    Objects.requireNonNull(ejectFor, "ejectFor");
    if (ejectFor.isNegative()) {
      throw new IllegalArgumentException("ejectFor must not be negative: " + ejectFor);
    }
    if (maxRetries < 0 || maxRetries > 10) {
      throw new IllegalArgumentException("maxRetries must be in [0, 10], was " + maxRetries);
    }
  }

  /** Connect 10 s, first token 120 s, 60 s between tokens, total 30 min, 3 retries, 30 s ejection. */
  public static RemoteOptions defaults() {
    return new RemoteOptions(Duration.ofSeconds(10), Duration.ofSeconds(120), Duration.ofSeconds(60),
        Duration.ofMinutes(30), 3, Duration.ofSeconds(30));
  }

  /** These options with another connect timeout. */
  public RemoteOptions withConnectTimeout(Duration value) {
    return new RemoteOptions(value, firstTokenTimeout, idleTimeout, totalTimeout, maxRetries, ejectFor);
  }

  /** These options with another first-token timeout. */
  public RemoteOptions withFirstTokenTimeout(Duration value) {
    return new RemoteOptions(connectTimeout, value, idleTimeout, totalTimeout, maxRetries, ejectFor);
  }

  /** These options with another limit between tokens. */
  public RemoteOptions withIdleTimeout(Duration value) {
    return new RemoteOptions(connectTimeout, firstTokenTimeout, value, totalTimeout, maxRetries, ejectFor);
  }

  /** These options with another total timeout. */
  public RemoteOptions withTotalTimeout(Duration value) {
    return new RemoteOptions(connectTimeout, firstTokenTimeout, idleTimeout, value, maxRetries, ejectFor);
  }

  /** These options with another number of retries. */
  public RemoteOptions withMaxRetries(int value) {
    return new RemoteOptions(connectTimeout, firstTokenTimeout, idleTimeout, totalTimeout, value, ejectFor);
  }

  /** These options with another ejection time. */
  public RemoteOptions withEjectFor(Duration value) {
    return new RemoteOptions(connectTimeout, firstTokenTimeout, idleTimeout, totalTimeout, maxRetries, value);
  }
}
