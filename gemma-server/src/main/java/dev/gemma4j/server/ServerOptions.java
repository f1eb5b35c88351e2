package dev.gemma4j.server;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link GemmaServer} listens and what it accepts. Immutable; build with {@link #builder()}.
 *
 * <p>The connection limits ({@code requestReadTimeout}, {@code idleTimeout}, {@code maxConnections}) are the
 * JDK HTTP server's, which it reads once per JVM: every {@code GemmaServer} of a JVM runs with those of the
 * first one started (a warning names any difference).
 *
 * @param host the address to bind; {@code 127.0.0.1} by default, so nothing outside the machine reaches a
 *     server started without thought
 * @param port the TCP port; 0 picks a free one ({@link GemmaServer#port()} says which)
 * @param apiKey the key clients must send as {@code Authorization: Bearer KEY}, or {@code null} for none
 * @param servedModelName the model name clients use and {@code /v1/models} lists, or {@code null} for the
 *     name the model was opened with
 * @param maxBodyBytes larger request bodies are refused with HTTP 413
 * @param defaultMaxTokens the most tokens a request that names no {@code max_tokens} generates (less
 *     when the context has less room)
 * @param requestTimeout the longest a request may run, or {@code null} for none
 * @param drainTimeout how long {@link GemmaServer#close()} waits for requests in flight before it
 *     cancels them
 * @param requestReadTimeout the longest a request's headers and body may take to arrive, from its first
 *     byte (a new connection's first byte may take this or {@code idleTimeout}, whichever is shorter);
 *     then the connection is closed
 * @param idleTimeout the longest a kept-alive connection may wait for its next request
 * @param maxConnections the most connections open at once; further ones are closed as they arrive
 * @param allowedOrigins the web origins (such as {@code https://app.example.com}, or {@code *} for any) whose
 *     pages may call the server from a browser (CORS); empty, the default, for none
 */
public record ServerOptions(
    String host,
    int port,
    @Nullable String apiKey,
    @Nullable String servedModelName,
    int maxBodyBytes,
    int defaultMaxTokens,
    @Nullable Duration requestTimeout,
    Duration drainTimeout,
    Duration requestReadTimeout,
    Duration idleTimeout,
    int maxConnections,
    java.util.List<String> allowedOrigins) {

  /** Checks every field; the message names the field and its valid range. */
  public ServerOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(requestReadTimeout, "requestReadTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    require(!host.isBlank(), "host must not be blank");
    require(port >= 0 && port <= 65_535, "port must be in [0, 65535], was " + port);
    require(apiKey == null || !apiKey.isBlank(), "apiKey must not be blank; leave it out to serve without a key");
    require(servedModelName == null || !servedModelName.isBlank(), "servedModelName must not be blank");
    require(maxBodyBytes >= 1024, "maxBodyBytes must be at least 1024, was " + maxBodyBytes);
    require(defaultMaxTokens >= 1, "defaultMaxTokens must be at least 1, was " + defaultMaxTokens);
    require(requestTimeout == null || requestTimeout.isPositive(), "requestTimeout must be positive");
    require(!drainTimeout.isNegative(), "drainTimeout must not be negative");
    require(requestReadTimeout.compareTo(Duration.ofSeconds(1)) >= 0,
        "requestReadTimeout must be at least 1 s, was " + requestReadTimeout);
    require(idleTimeout.compareTo(Duration.ofSeconds(1)) >= 0, "idleTimeout must be at least 1 s, was " + idleTimeout);
    require(maxConnections >= 1, "maxConnections must be at least 1, was " + maxConnections);
    allowedOrigins = java.util.List.copyOf(allowedOrigins);
    for (String origin : allowedOrigins) {
      require(origin.equals("*") || origin.matches("https?://[A-Za-z0-9.\\-]+(:\\d{1,5})?"),
          "allowedOrigins holds '" + origin + "'; an origin is scheme://host[:port] without a path (or * for any)");
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /**
   * Port 8000 on 127.0.0.1, no key, 4 MiB bodies, 1024 default tokens, 10 minutes per request, 30 s drain,
   * 30 s to receive a request, 30 s idle keep-alive, half the process's file-descriptor limit (16 to 10,000)
   * as the cap on connections.
   */
  public static ServerOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the {@linkplain #defaults() defaults}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link ServerOptions}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8000;
    private @Nullable String apiKey;
    private @Nullable String servedModelName;
    private int maxBodyBytes = 4 << 20;
    private int defaultMaxTokens = 1024;
    private @Nullable Duration requestTimeout = Duration.ofMinutes(10);
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration requestReadTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private int maxConnections = dev.gemma4j.server.internal.HttpLimits.defaultMaxConnections();
    private java.util.List<String> allowedOrigins = java.util.List.of();

    private Builder() {}

    /** The address to bind, e.g. {@code 0.0.0.0} for every interface. */
    public Builder host(String value) {
      host = value;
      return this;
    }

    /** The TCP port; 0 picks a free one. */
    public Builder port(int value) {
      port = value;
      return this;
    }

    /** The key clients must send as a bearer token; {@code null} for none. */
    public Builder apiKey(@Nullable String value) {
      apiKey = value;
      return this;
    }

    /** The model name clients use; {@code null} for the name the model was opened with. */
    public Builder servedModelName(@Nullable String value) {
      servedModelName = value;
      return this;
    }

    /** Larger request bodies are refused with HTTP 413. */
    public Builder maxBodyBytes(int value) {
      maxBodyBytes = value;
      return this;
    }

    /** The most tokens a request without {@code max_tokens} generates. */
    public Builder defaultMaxTokens(int value) {
      defaultMaxTokens = value;
      return this;
    }

    /** The longest a request may run; {@code null} for no limit. */
    public Builder requestTimeout(@Nullable Duration value) {
      requestTimeout = value;
      return this;
    }

    /** How long closing waits for requests in flight. */
    public Builder drainTimeout(Duration value) {
      drainTimeout = value;
      return this;
    }

    /** The longest a request's headers and body may take to arrive (at least 1 s). */
    public Builder requestReadTimeout(Duration value) {
      requestReadTimeout = value;
      return this;
    }

    /** The longest a kept-alive connection may wait for its next request (at least 1 s). */
    public Builder idleTimeout(Duration value) {
      idleTimeout = value;
      return this;
    }

    /** The most connections open at once; further ones are closed as they arrive. */
    public Builder maxConnections(int value) {
      maxConnections = value;
      return this;
    }

    /** The web origins whose pages may call the server from a browser (CORS); {@code *} for any. */
    public Builder allowedOrigins(java.util.List<String> values) {
      allowedOrigins = java.util.List.copyOf(values);
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException when a value is out of range, naming it
     */
    public ServerOptions build() {
      return new ServerOptions(
          host, port, apiKey, servedModelName, maxBodyBytes, defaultMaxTokens, requestTimeout, drainTimeout,
          requestReadTimeout, idleTimeout, maxConnections, allowedOrigins);
    }
  }
}
