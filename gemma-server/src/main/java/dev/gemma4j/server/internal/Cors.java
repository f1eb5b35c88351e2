package dev.gemma4j.server.internal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Cross-origin access for browser clients (CORS, as the Fetch standard defines it): a request from a listed
 * origin gets {@code Access-Control-Allow-Origin} naming it; a preflight ({@code OPTIONS} with
 * {@code Access-Control-Request-Method}) from a listed origin is answered 204 with the methods and headers
 * allowed, without the API key (browsers send none with a preflight); one from another origin gets 403.
 */
public final class Cors {
  private static final String METHODS = "GET, POST, OPTIONS";
  private static final String HEADERS = "Authorization, Content-Type";
  private final List<String> origins;

  public Cors(List<String> origins) {
    this.origins = List.copyOf(origins);
  }

  /** Adds the response headers a listed origin needs; nothing for other requests. */
  public void addHeaders(HttpExchange exchange) {
    String origin = allowedOrigin(exchange);
    if (origin != null) {
      Headers headers = exchange.getResponseHeaders();
      headers.set("Access-Control-Allow-Origin", origin);
      headers.add("Vary", "Origin");
    }
  }

  /** Answers a preflight and returns true, or returns false for any other request. */
  public boolean answerPreflight(HttpExchange exchange) throws IOException {
    Headers request = exchange.getRequestHeaders();
    if (!exchange.getRequestMethod().equals("OPTIONS") || request.getFirst("Origin") == null
        || request.getFirst("Access-Control-Request-Method") == null) {
      return false;
    }
    String origin = allowedOrigin(exchange);
    if (origin == null) {
      HttpIo.error(exchange, ApiError.forbidden("the origin " + request.getFirst("Origin") + " may not call this server"
          + " from a browser; list that origin in ServerOptions.allowedOrigins (gemma serve --allowed-origins)"));
      return true;
    }
    Headers headers = exchange.getResponseHeaders();
    headers.set("Access-Control-Allow-Origin", origin);
    headers.add("Vary", "Origin");
    headers.set("Access-Control-Allow-Methods", METHODS);
    String asked = request.getFirst("Access-Control-Request-Headers");
    headers.set("Access-Control-Allow-Headers", asked == null ? HEADERS : asked);
    headers.set("Access-Control-Max-Age", "600");
    exchange.sendResponseHeaders(204, -1);
    return true;
  }

  private @Nullable String allowedOrigin(HttpExchange exchange) {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (origin == null || origins.isEmpty()) {
      return null;
    }
    if (origins.contains("*")) {
      return "*";
    }
    String normalized = origin.toLowerCase(Locale.ROOT);
    return origins.stream().anyMatch(o -> o.toLowerCase(Locale.ROOT).equals(normalized)) ? origin : null;
  }
}
