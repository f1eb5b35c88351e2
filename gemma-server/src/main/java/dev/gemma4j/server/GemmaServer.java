package dev.gemma4j.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.server.internal.ApiError;
import dev.gemma4j.server.internal.ApiKey;
import dev.gemma4j.server.internal.CompletionEndpoint;
import dev.gemma4j.server.internal.Cors;
import dev.gemma4j.server.internal.ResponsesEndpoint;
import dev.gemma4j.server.internal.HttpIo;
import dev.gemma4j.server.internal.HttpLimits;
import dev.gemma4j.server.internal.InFlight;
import dev.gemma4j.server.internal.ModelHealth;
import dev.gemma4j.server.internal.Operation;
import dev.gemma4j.server.internal.ServerMetrics;
import dev.gemma4j.server.internal.TokenizeEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP server over a {@link Gemma}: what {@code gemma serve} runs, for applications
 * that want to serve from their own process. Requests of all clients batch in the model's one engine.
 *
 * <pre>{@code
 * try (var gemma = Gemma.open("google/gemma-2-2b-it");
 *     var server = GemmaServer.start(gemma, ServerOptions.builder().port(8000).build())) {
 *   server.awaitShutdown();
 * }
 * }</pre>
 *
 * <p>Endpoints: {@code POST /v1/chat/completions}, {@code POST /v1/completions} (streamed or not),
 * {@code GET /v1/models}, vLLM's {@code POST /tokenize}, {@code POST /detokenize} and {@code GET /version}
 * (unauthenticated, as {@code /health}), {@code GET /health}
 * (200, or 503 with the reason while shutting down, once the engine has failed, or while the model fails
 * every request) and {@code GET /metrics} (Prometheus text). With an API key, the {@code /v1} endpoints and
 * the tokenizer's require {@code Authorization: Bearer KEY}. Prompts and keys are never logged.
 *
 * <p>{@link #close()} drains: new requests get 503, requests in flight finish (up to
 * {@link ServerOptions#drainTimeout()}, then they are cancelled and end with what they have), then the
 * port is released. Closing the server does not close the model.
 */
public final class GemmaServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GemmaServer.class);

  private final Gemma gemma;
  private final ServerOptions options;
  private final String servedModel;
  private final long created = System.currentTimeMillis() / 1000;
  private final ApiKey apiKey;
  private final Cors cors;
  private final ServerMetrics metrics;
  private final InFlight inFlight = new InFlight();
  private final ModelHealth health;
  private final CompletionEndpoint completions;
  private final ResponsesEndpoint responses;
  private final TokenizeEndpoint tokenize;
  private final HttpServer http;
  private final ExecutorService executor;
  private final Object closeLock = new Object();
  private volatile boolean draining;
  private boolean closed;

  private GemmaServer(Gemma gemma, ServerOptions options, HttpServer http) {
    this.gemma = gemma;
    this.options = options;
    this.servedModel = options.servedModelName() != null ? options.servedModelName() : gemma.info().model();
    this.apiKey = new ApiKey(options.apiKey());
    this.cors = new Cors(options.allowedOrigins());
    this.metrics = new ServerMetrics(servedModel);
    this.health = new ModelHealth(this::probe);
    this.completions = new CompletionEndpoint(
        gemma, servedModel, metrics, inFlight, health, options.defaultMaxTokens(), options.requestTimeout());
    this.responses = new ResponsesEndpoint(completions, servedModel);
    this.tokenize = new TokenizeEndpoint(gemma, servedModel);
    this.http = http;
    this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gemma-http-", 0).factory());
    http.setExecutor(executor);
    http.createContext("/", this::exchange);
    http.start();
  }

  /**
   * Starts serving {@code gemma}.
   *
   * @throws GemmaException when the address cannot be bound (the port is taken, the host is unknown)
   */
  public static GemmaServer start(Gemma gemma, ServerOptions options) {
    InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
    if (address.isUnresolved()) {
      throw new GemmaException("cannot serve on host '" + options.host() + "': the name does not resolve");
    }
    HttpLimits.apply(options.requestReadTimeout(), options.idleTimeout(), options.maxConnections());
    try {
      GemmaServer server = new GemmaServer(gemma, options, HttpServer.create(address, 0));
      server.warmUp();
      LOG.info("serving {} as '{}' on {}", gemma.info().model(), server.servedModel, server.baseUri());
      return server;
    } catch (IOException e) {
      throw new GemmaException(
          "cannot serve on " + options.host() + ":" + options.port() + ": " + e.getMessage()
              + "; choose another port (ServerOptions.port; gemma serve --port) or stop what uses it", e);
    }
  }

  /**
   * Answers one request to itself, so that every class an answer needs is loaded now: a flood of
   * connections before the first answer could otherwise leave no file descriptor to load one with, and
   * a class that fails to initialize stays broken for the life of the JVM.
   */
  private void warmUp() {
    try (var socket = new java.net.Socket()) {
      socket.connect(new InetSocketAddress(reachableHost(), port()), 5_000);
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(
          "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(
              java.nio.charset.StandardCharsets.US_ASCII));
      socket.getInputStream().readAllBytes();
    } catch (IOException e) {
      LOG.debug("the warm-up request to {} failed", baseUri(), e);
    }
  }

  /** A one-token generation for {@link ModelHealth}; it throws when the model does not answer. */
  private void probe() {
    ModelConfig config = gemma.info().config();
    dev.gemma4j.Prompt prompt =
        config != null ? dev.gemma4j.Prompt.ids(new int[] {config.bosId()}) : dev.gemma4j.Prompt.text("Hello");
    gemma.generate(prompt, dev.gemma4j.GenerationConfig.builder()
        .maxNewTokens(1).timeout(java.time.Duration.ofSeconds(30)).build());
  }

  /** The port the server listens on. */
  public int port() {
    return http.getAddress().getPort();
  }

  /** The base URL of the OpenAI API, e.g. {@code http://127.0.0.1:8000/v1}. */
  public URI baseUri() {
    String host = reachableHost();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + port() + "/v1");
  }

  /** The address a client on this machine reaches the server at: loopback when it listens on every one. */
  private String reachableHost() {
    return http.getAddress().getAddress().isAnyLocalAddress() ? "127.0.0.1" : options.host();
  }

  /** The model name clients use. */
  public String servedModelName() {
    return servedModel;
  }

  /** Blocks until {@link #close()} has finished on another thread (a shutdown hook, say). */
  public void awaitShutdown() throws InterruptedException {
    synchronized (closeLock) {
      while (!closed) {
        closeLock.wait();
      }
    }
  }

  /**
   * Drains and stops: new requests get 503; requests in flight finish, or after the drain timeout are
   * cancelled; then the port is released. Idempotent.
   */
  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      draining = true;
      boolean interrupted = false;
      try {
        if (!inFlight.awaitIdle(options.drainTimeout())) {
          LOG.warn("{} requests still running after the drain timeout; cancelling them", inFlight.exchanges());
          inFlight.cancelAll();
          inFlight.awaitIdle(java.time.Duration.ofSeconds(5));
        }
      } catch (InterruptedException e) {
        inFlight.cancelAll();
        interrupted = true;
      }
      http.stop(0);
      executor.close();
      closed = true;
      closeLock.notifyAll();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- routing ----

  private void exchange(HttpExchange exchange) {
    inFlight.enter();
    int status = 500;
    try {
      status = route(exchange);
    } catch (ApiError e) {
      status = e.status();
      respondError(exchange, e);
    } catch (IOException | UncheckedIOException e) {
      LOG.debug("a client connection failed", e);
    } catch (RuntimeException e) {
      LOG.error("answering {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      respondError(exchange, ApiError.internal("the server failed to answer: " + e));
    } finally {
      metrics.responded(status);
      exchange.close();
      inFlight.exit();
    }
  }

  private static void respondError(HttpExchange exchange, ApiError error) {
    if (exchange.getResponseCode() != -1) {
      return; // a stream had begun: it carried the error itself
    }
    try {
      HttpIo.error(exchange, error);
    } catch (IOException e) {
      LOG.debug("could not send the error to the client", e);
    }
  }

  /** Answers one exchange; returns the status sent. */
  private int route(HttpExchange exchange) throws IOException {
    if (cors.answerPreflight(exchange)) {
      return exchange.getResponseCode();
    }
    cors.addHeaders(exchange);
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    switch (path) {
      case "/health" -> {
        requireMethod(method, path, "GET");
        String problem = draining ? "the server is shutting down"
            : !gemma.isOpen() ? "the model is closed or its engine has failed"
            : health.problem();
        int status = problem == null ? 200 : 503;
        HttpIo.send(exchange, status, "text/plain; charset=utf-8",
            problem == null ? "" : "unavailable: " + problem.replaceAll("\\s+", " ") + "\n");
        return status;
      }
      case "/version" -> {
        requireMethod(method, path, "GET");
        JsonObject version = new JsonObject();
        version.addProperty("version", dev.gemma4j.GemmaVersion.current());
        HttpIo.send(exchange, 200, "application/json", version.toString());
        return 200;
      }
      case "/metrics" -> {
        requireMethod(method, path, "GET");
        HttpIo.send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(gemma.engineStats()));
        return 200;
      }
      default -> {}
    }
    boolean tokenizer = path.equals("/tokenize") || path.equals("/detokenize");
    if (!path.startsWith("/v1/") && !tokenizer) {
      throw ApiError.notFound(path);
    }
    if (!apiKey.allows(exchange.getRequestHeaders().getFirst("Authorization"))) {
      throw ApiError.unauthorized();
    }
    if (draining) {
      throw ApiError.unavailable("the server is shutting down; retry on another replica");
    }
    if (!gemma.isOpen()) {
      throw ApiError.unavailable("the model is closed or its engine has failed; this server serves no more requests");
    }
    switch (path) {
      case "/tokenize", "/detokenize" -> {
        requireMethod(method, path, "POST");
        String body = HttpIo.body(exchange, options.maxBodyBytes());
        HttpIo.json(exchange, 200, path.equals("/tokenize") ? tokenize.tokenize(body) : tokenize.detokenize(body));
        return 200;
      }
      case "/v1/models" -> {
        requireMethod(method, path, "GET");
        JsonObject list = new JsonObject();
        list.addProperty("object", "list");
        JsonArray data = new JsonArray();
        data.add(modelJson());
        list.add("data", data);
        HttpIo.send(exchange, 200, "application/json", list.toString());
        return 200;
      }
      case "/v1/chat/completions" -> generate(exchange, method, path, Operation.CHAT);
      case "/v1/completions" -> generate(exchange, method, path, Operation.TEXT_COMPLETION);
      case "/v1/responses" -> {
        requireMethod(method, path, "POST");
        responses.handle(exchange, HttpIo.body(exchange, options.maxBodyBytes()));
      }
      default -> {
        if (path.equals("/v1/models/" + servedModel)) {
          requireMethod(method, path, "GET");
          HttpIo.send(exchange, 200, "application/json", modelJson().toString());
          return 200;
        }
        throw path.startsWith("/v1/models/")
            ? ApiError.unknownModel(path.substring("/v1/models/".length()), servedModel)
            : ApiError.notFound(path);
      }
    }
    return exchange.getResponseCode();
  }

  private void generate(HttpExchange exchange, String method, String path, Operation operation) throws IOException {
    requireMethod(method, path, "POST");
    String body = HttpIo.body(exchange, options.maxBodyBytes());
    completions.handle(exchange, operation, body);
  }

  private JsonObject modelJson() {
    JsonObject model = new JsonObject();
    model.addProperty("id", servedModel);
    model.addProperty("object", "model");
    model.addProperty("created", created);
    model.addProperty("owned_by", "gemma4j");
    model.addProperty("root", gemma.info().model());
    ModelConfig config = gemma.info().config();
    if (config != null) {
      model.addProperty("max_model_len", config.maxPositions());
      model.addProperty("vocab_size", config.vocabSize()); // an extension: the remote engine checks ids with it
    }
    return model;
  }

  private static void requireMethod(String method, String path, String allowed) {
    if (!method.equals(allowed)) {
      throw ApiError.methodNotAllowed(method, path, allowed);
    }
  }
}
