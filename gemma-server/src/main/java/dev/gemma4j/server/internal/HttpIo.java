package dev.gemma4j.server.internal;

import com.google.gson.JsonElement;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading bounded request bodies and writing whole responses. */
public final class HttpIo {
  private HttpIo() {}

  /**
   * The request body as text, read up to {@code limit} bytes.
   *
   * @throws ApiError 413 when the declared or the actual length is above {@code limit}
   */
  public static String body(HttpExchange exchange, int limit) throws IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          throw ApiError.tooLarge(limit);
        }
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("the Content-Length header is not a number", null);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = exchange.getRequestBody()) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (out.size() + n > limit) {
          throw ApiError.tooLarge(limit);
        }
        out.write(buffer, 0, n);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  public static void json(HttpExchange exchange, int status, JsonElement body) throws IOException {
    send(exchange, status, "application/json", body.toString());
  }

  public static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  public static void error(HttpExchange exchange, ApiError error) throws IOException {
    if (error.retryAfterSeconds() > 0) {
      exchange.getResponseHeaders().set("Retry-After", Integer.toString(error.retryAfterSeconds()));
    }
    json(exchange, error.status(), error.toJson());
  }
}
