package dev.gemma4j.hub;

import dev.gemma4j.GemmaException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * HTTP for the hubs: follows redirects itself so that the {@code Authorization} header never leaves the
 * hub's host (file downloads redirect to a CDN with signed URLs), and turns connection failures into
 * messages that name the endpoint.
 */
final class HubHttp {
  private static final int MAX_REDIRECTS = 8;
  /** A repository listing is kilobytes; an answer larger than this is not one. */
  static final int MAX_LISTING_BYTES = 16 << 20;
  /** How long a listing may take in all, however slowly its bytes trickle. */
  private static final Duration LISTING_DEADLINE = Duration.ofMinutes(2);

  /** A response read as text, within a size limit and a deadline. */
  record Text(int status, String body) {}

  private final HttpClient client;
  private final @Nullable String token;
  private final Duration responseTimeout;

  /**
   * @param token sent as {@code Authorization: Bearer} to the hub's host
   * @param responseTimeout how long to wait for a response's headers
   */
  HubHttp(@Nullable String token, Duration responseTimeout) {
    this.responseTimeout = responseTimeout;
    this.client =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(20))
            .build();
    this.token = token;
  }

  /** Sends a request to {@code uri} with the token (on the hub's host only) and extra headers. */
  <T> HttpResponse<T> send(String method, URI uri, Map<String, String> headers, HttpResponse.BodyHandler<T> body)
      throws IOException {
    URI target = uri;
    String host = uri.getHost();
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(target)
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(responseTimeout)
              .header("User-Agent", "gemma4j/0.1 (java " + Runtime.version().feature() + ")");
      if (token != null && Objects.equals(target.getHost(), host)) {
        request.header("Authorization", "Bearer " + token);
      }
      headers.forEach(request::header);
      HttpResponse<T> response;
      try {
        response = client.send(request.build(), redirectAware(body));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new GemmaException("interrupted while talking to " + uri.getHost(), e);
      }
      int status = response.statusCode();
      if (status < 300 || status >= 400 || status == 304) {
        return response;
      }
      String location = response.headers().firstValue("Location").orElse(null);
      if (location == null) {
        return response;
      }
      try {
        target = target.resolve(location);
      } catch (IllegalArgumentException e) {
        throw new GemmaException(uri.getHost() + " redirected to \"" + location + "\", which is not a URL");
      }
      if (!"http".equalsIgnoreCase(target.getScheme()) && !"https".equalsIgnoreCase(target.getScheme())) {
        throw new GemmaException(uri.getHost() + " redirected to a " + target.getScheme() + ": address (" + location
            + "); only http and https redirects are followed, so the download stops here");
      }
    }
    throw new GemmaException("too many redirects fetching " + uri);
  }

  /**
   * GETs {@code uri} as UTF-8 text of at most {@code maxBytes}, giving up when the body stalls or takes
   * longer than the deadline: a server that sends headers and then nothing, or an endless body, ends in
   * an error instead of a wait or an exhausted heap.
   */
  Text getText(URI uri, int maxBytes) throws IOException {
    HttpResponse<InputStream> response = send("GET", uri, Map.of(), HttpResponse.BodyHandlers.ofInputStream());
    long deadline = System.nanoTime() + LISTING_DEADLINE.toNanos();
    try (InputStream body = response.body();
        StallWatchdog watchdog = new StallWatchdog(body, responseTimeout)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[1 << 14];
      int n;
      while ((n = watchdog.read(body, buffer)) >= 0) {
        if (out.size() + n > maxBytes) {
          throw new GemmaException(uri + " answered with more than " + (maxBytes >> 20) + " MiB; a listing is far"
              + " smaller, so the server is not a model hub (check HF_ENDPOINT)");
        }
        if (System.nanoTime() > deadline) {
          throw new GemmaException(uri + " took longer than " + LISTING_DEADLINE.toMinutes() + " minutes to answer"
              + " a listing; check the network or HF_ENDPOINT");
        }
        out.write(buffer, 0, n);
      }
      return new Text(response.statusCode(), out.toString(StandardCharsets.UTF_8));
    }
  }

  /** Discards the body of redirect responses instead of handing it to the caller's handler. */
  private static <T> HttpResponse.BodyHandler<T> redirectAware(HttpResponse.BodyHandler<T> body) {
    return info -> {
      int s = info.statusCode();
      if (s >= 300 && s < 400 && info.headers().firstValue("Location").isPresent()) {
        @SuppressWarnings("unchecked")
        HttpResponse.BodySubscriber<T> discard =
            (HttpResponse.BodySubscriber<T>) HttpResponse.BodySubscribers.replacing(null);
        return discard;
      }
      return body.apply(info);
    };
  }
}
