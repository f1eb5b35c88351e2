package dev.gemma4j.server.internal;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.Serial;
import org.jspecify.annotations.Nullable;

/**
 * A request the server answers with an error, in OpenAI's shape:
 * {@code {"error": {"message", "type", "param", "code"}}} with the HTTP status that goes with it.
 */
public final class ApiError extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final @Nullable String param;
  private final @Nullable String code;
  private final int retryAfterSeconds;

  private ApiError(int status, String type, String message, @Nullable String param, @Nullable String code, int retryAfter) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfterSeconds = retryAfter;
  }

  /** 400: the request is malformed or a value is out of range; {@code param} names the field. */
  public static ApiError badRequest(String message, @Nullable String param) {
    return new ApiError(400, "invalid_request_error", message, param, null, 0);
  }

  /** 400 for a feature this server does not offer, naming the field. */
  public static ApiError unsupported(String param, String what) {
    return new ApiError(400, "invalid_request_error", what + " is not supported by this server", param, "unsupported_parameter", 0);
  }

  /** 401: the key is missing or wrong. */
  public static ApiError unauthorized() {
    return new ApiError(
        401, "authentication_error", "missing or wrong API key; send it as the header 'Authorization: Bearer KEY'",
        null, "invalid_api_key", 0);
  }

  /** 404 for a model this server does not serve. */
  public static ApiError forbidden(String message) {
    return new ApiError(403, "permission_error", message, null, "forbidden", 0);
  }

  public static ApiError unknownModel(String requested, String served) {
    return new ApiError(
        404, "invalid_request_error", "The model `" + requested + "` does not exist; this server serves `" + served + "`",
        "model", "model_not_found", 0);
  }

  /** 404 for a path the server does not have. */
  public static ApiError notFound(String path) {
    return new ApiError(404, "invalid_request_error", "no such endpoint: " + path, null, "not_found", 0);
  }

  /** 405 for a method the path does not take. */
  public static ApiError methodNotAllowed(String method, String path, String allowed) {
    return new ApiError(405, "invalid_request_error", path + " takes " + allowed + ", not " + method, null, "method_not_allowed", 0);
  }

  /** 413: the body is larger than the server accepts. */
  public static ApiError tooLarge(long limit) {
    return new ApiError(
        413, "invalid_request_error", "the request body is larger than " + limit + " bytes; send a shorter prompt or"
            + " start the server with a larger limit (ServerOptions.maxBodyBytes; gemma serve --max-body-bytes)", null, "request_too_large", 0);
  }

  /** 429: the engine's queue is full; the client should retry after {@code seconds}. */
  public static ApiError queueFull(String message, int seconds) {
    return new ApiError(429, "rate_limit_error", message, null, "queue_full", seconds);
  }

  /** 503: the server is shutting down or its engine has stopped. */
  public static ApiError unavailable(String message) {
    return new ApiError(503, "server_error", message, null, "service_unavailable", 0);
  }

  /** 500: the generation failed in the engine. */
  public static ApiError internal(String message) {
    return new ApiError(500, "server_error", message, null, "internal_error", 0);
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** Seconds for the {@code Retry-After} header, 0 for none. */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The body: {@code {"error": {...}}}. */
  public JsonObject toJson() {
    JsonObject error = new JsonObject();
    error.addProperty("message", getMessage());
    error.addProperty("type", type);
    error.add("param", param == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(param));
    error.add("code", code == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(code));
    JsonObject body = new JsonObject();
    body.add("error", error);
    return body;
  }
}
