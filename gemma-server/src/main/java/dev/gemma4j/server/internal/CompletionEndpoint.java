package dev.gemma4j.server.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.gemma4j.EngineClosedException;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.QueueFullException;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.TokenLogprobs;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.tools.ToolCallTextFilter;
import dev.gemma4j.tools.ToolCalling;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Answers {@code POST /v1/chat/completions} and {@code POST /v1/completions}: parses the request, submits
 * it to the engine, and answers with one JSON response or a stream of chunks as vLLM streams them. A
 * streaming client that goes away cancels its generation (noticed at the next token or keep-alive).
 */
public final class CompletionEndpoint {
  /**
   * Text waits at most this long before it is sent, so that the last text and the finish reason travel in
   * one chunk (as vLLM sends them) and fast tokens share chunks.
   */
  private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  /** With no token for this long, a comment line (or a space) checks that the client is still there. */
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** A response that is not streamed keeps its status this long before it starts checking on the client. */
  private static final long WHOLE_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(5);
  /**
   * After that, a space this often. A write to a client that went away succeeds once (its reset is what the
   * next write meets), so it is the second space that notices: a second after the first, not five.
   */
  private static final long WHOLE_PROBE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Gemma gemma;
  private final String servedModel;
  private final RequestParser parser;
  private final LogprobsJson logprobs;
  private final ServerMetrics metrics;
  private final InFlight inFlight;
  private final ModelHealth health;
  private final int defaultMaxTokens;
  private final @Nullable Duration requestTimeout;

  public CompletionEndpoint(
      Gemma gemma,
      String servedModel,
      ServerMetrics metrics,
      InFlight inFlight,
      ModelHealth health,
      int defaultMaxTokens,
      @Nullable Duration requestTimeout) {
    this.gemma = gemma;
    this.servedModel = servedModel;
    this.parser = new RequestParser(servedModel, gemma.defaultConfig());
    this.logprobs = new LogprobsJson(gemma.tokenizer().orElse(null));
    this.metrics = metrics;
    this.inFlight = inFlight;
    this.health = health;
    this.defaultMaxTokens = defaultMaxTokens;
    this.requestTimeout = requestTimeout;
  }

  /**
   * A parsed request, its prompt's ids and the config it runs with (length settled, the server's timeout
   * applied).
   */
  record Prepared(CompletionRequest request, int[] promptIds, GenerationConfig config) {}

  /** Parses and prepares a request body; errors are thrown as {@link ApiError}. */
  Prepared prepare(Operation operation, String body) {
    CompletionRequest request = parser.parse(operation, body);
    int[] promptIds;
    try {
      promptIds = gemma.encode(request.prompt());
    } catch (GemmaException e) {
      throw ApiError.badRequest(e.getMessage(), operation == Operation.CHAT ? "messages" : "prompt");
    }
    request = settleLength(request, promptIds.length);
    GenerationConfig config = request.config();
    if (config.timeout() == null && requestTimeout != null) {
      config = config.toBuilder().timeout(requestTimeout).build();
    }
    return new Prepared(request, promptIds, config);
  }

  /** Submits one generation, tracked for draining and measured; for the other APIs' endpoints. */
  GenerationHandle submitTracked(Prepared prepared, java.util.function.Consumer<TokenEvent> listener, long start) {
    return submit(prepared.request().operation(), prepared.promptIds(), prepared.config(), listener, start).handle();
  }

  /** Answers one request whose body was read; errors before the first byte are thrown as {@link ApiError}. */
  public void handle(HttpExchange exchange, Operation operation, String body) throws IOException {
    long start = System.nanoTime();
    Prepared prepared = prepare(operation, body);
    CompletionRequest request = prepared.request();
    int[] promptIds = prepared.promptIds();
    GenerationConfig config = prepared.config();
    var header =
        new Responses.ResponseHeader(
            operation, operation.idPrefix() + HexFormat.of().formatHex(randomBytes()),
            System.currentTimeMillis() / 1000, servedModel);
    if (request.stream()) {
      stream(exchange, request, header, promptIds, config, start);
    } else {
      whole(exchange, request, header, promptIds, config, start);
    }
  }

  private CompletionRequest settleLength(CompletionRequest request, int promptLength) {
    if (request.maxTokensGiven()) {
      return request;
    }
    ModelConfig model = gemma.info().config();
    int room = model == null ? defaultMaxTokens : model.maxPositions() - promptLength;
    return request.withMaxTokens(Math.max(1, Math.min(defaultMaxTokens, room)));
  }

  /**
   * A submitted generation and the moment its metrics are recorded: answers wait for it, so that a client
   * that reads {@code /metrics} after its answer sees its request counted.
   */
  private record Submitted(GenerationHandle handle, java.util.concurrent.CompletableFuture<?> measured) {}

  /** Submits; the generation is tracked for draining and measured however it ends. */
  private Submitted submit(
      Operation operation, int[] promptIds, GenerationConfig config, java.util.function.Consumer<TokenEvent> listener,
      long start) {
    try {
      GenerationHandle handle = gemma.submit(Prompt.ids(promptIds), config, listener);
      inFlight.add(handle);
      var measured = handle.result().handle((generation, error) -> {
        inFlight.remove(handle);
        if (generation != null) {
          metrics.finished(operation, generation.finishReason(), generation.stats());
          health.succeeded();
        } else {
          metrics.failed(operation, System.nanoTime() - start);
          health.failed(unwrapped(error));
        }
        return null;
      });
      return new Submitted(handle, measured);
    } catch (QueueFullException e) {
      throw ApiError.queueFull(e.getMessage(), 1);
    } catch (EngineClosedException e) {
      throw ApiError.unavailable(e.getMessage());
    } catch (GemmaException | IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage(), null);
    }
  }

  /**
   * Answers with one JSON response. A generation that runs longer than {@link #WHOLE_PATIENCE_NANOS}
   * sends its headers (200) and then a space every {@link #WHOLE_PROBE_NANOS} (JSON allows leading
   * whitespace): a client that went away makes such a write fail, which cancels the generation. Failures before that keep their
   * status; a failure after it is the body {@code {"error": ...}}.
   */
  /**
   * The config of choice {@code index} of {@code n}: a seeded request gives each choice its own seed, so the
   * choices differ as OpenAI's do and each repeats.
   */
  private static GenerationConfig choiceConfig(GenerationConfig config, int index) {
    return index == 0 || config.seed() == null ? config : config.toBuilder().seed(config.seed() + index).build();
  }

  /**
   * Submits the request's {@code n} choices. The first runs alone until its prompt is in the cache (its first
   * token); the others then find the prompt's KV blocks in the prefix cache and compute only their own tokens.
   */
  private List<Submitted> submitChoices(
      CompletionRequest request, int[] promptIds, GenerationConfig config, long start,
      java.util.function.IntFunction<java.util.function.Consumer<TokenEvent>> listeners) {
    List<Submitted> submitted = new ArrayList<>();
    java.util.concurrent.CompletableFuture<Void> promptCached = new java.util.concurrent.CompletableFuture<>();
    try {
      java.util.function.Consumer<TokenEvent> first = listeners.apply(0);
      submitted.add(submit(request.operation(), promptIds, config, event -> {
        promptCached.complete(null);
        first.accept(event);
      }, start));
      if (request.n() > 1) {
        submitted.getFirst().handle().result().whenComplete((g, e) -> promptCached.complete(null));
        promptCached.join();
      }
      for (int i = 1; i < request.n(); i++) {
        submitted.add(submit(request.operation(), promptIds, choiceConfig(config, i), listeners.apply(i), start));
      }
    } catch (RuntimeException e) {
      submitted.forEach(s -> s.handle().cancel());
      throw e;
    }
    return submitted;
  }

  /**
   * Answers with one JSON response. A generation that runs longer than {@link #WHOLE_PATIENCE_NANOS}
   * sends its headers (200) and then a space every {@link #WHOLE_PROBE_NANOS} (JSON allows leading
   * whitespace): a client that went away makes such a write fail, which cancels the generation. Failures
   * before that keep their status; a failure after it is the body {@code {"error": ...}}.
   */
  private void whole(
      HttpExchange exchange, CompletionRequest request, Responses.ResponseHeader header, int[] promptIds,
      GenerationConfig config, long start) throws IOException {
    List<Submitted> submitted = submitChoices(request, promptIds, config, start, i -> event -> {});
    java.util.concurrent.CompletableFuture<?> all = java.util.concurrent.CompletableFuture.allOf(
        submitted.stream().map(s -> s.handle().result()).toArray(java.util.concurrent.CompletableFuture[]::new));
    java.io.OutputStream body = null;
    long wait = WHOLE_PATIENCE_NANOS;
    try {
      while (true) {
        try {
          all.get(wait, TimeUnit.NANOSECONDS);
          List<Generation> generations = new ArrayList<>();
          for (Submitted s : submitted) {
            generations.add(s.handle().result().join());
            s.measured().join();
          }
          JsonObject json = Responses.whole(header, generations, request.returnTokenIds(), request.toolCalls(),
              config.logprobs() >= 0 ? logprobs : null);
          if (body == null) {
            HttpIo.json(exchange, 200, json);
          } else {
            body.write(json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          }
          return;
        } catch (java.util.concurrent.TimeoutException e) {
          if (body == null) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0);
            body = exchange.getResponseBody();
          }
          body.write(' ');
          body.flush();
          wait = WHOLE_PROBE_NANOS;
        } catch (ExecutionException e) {
          submitted.forEach(s -> s.handle().cancel());
          ApiError error = engineFailure(e.getCause());
          if (body == null) {
            throw error;
          }
          body.write(error.toJson().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          return;
        }
      }
    } catch (IOException e) {
      submitted.forEach(s -> s.handle().cancel()); // the client went away
    } catch (InterruptedException e) {
      submitted.forEach(s -> s.handle().cancel());
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("the server is shutting down");
    } finally {
      if (body != null) {
        try {
          body.close();
        } catch (IOException ignored) {
          // the client is gone; nothing to tell it
        }
      }
    }
  }

  /** The cause a {@link java.util.concurrent.CompletionException} carries, else {@code error} itself. */
  private static @Nullable Throwable unwrapped(@Nullable Throwable error) {
    return error instanceof java.util.concurrent.CompletionException c && c.getCause() != null ? c.getCause() : error;
  }

  private static ApiError engineFailure(@Nullable Throwable cause) {
    if (cause instanceof EngineClosedException closed) {
      return ApiError.unavailable(closed.getMessage());
    }
    return ApiError.internal("the generation failed: " + (cause == null ? "unknown cause" : cause.getMessage()));
  }

  /** One item of a streamed request's queue: a token, or the end. */
  private sealed interface Item {}

  private record Token(int choice, TokenEvent event) implements Item {}

  private record End(int choice, @Nullable Generation generation, @Nullable Throwable error) implements Item {}

  private void stream(
      HttpExchange exchange, CompletionRequest request, Responses.ResponseHeader header, int[] promptIds,
      GenerationConfig config, long start) throws IOException {
    BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    List<Submitted> submitted =
        submitChoices(request, promptIds, config, start, i -> event -> items.add(new Token(i, event)));
    List<StreamState> states = new ArrayList<>();
    for (int i = 0; i < submitted.size(); i++) {
      int choice = i;
      Submitted s = submitted.get(i);
      s.handle().result().whenComplete((g, e) -> s.measured().thenRun(() -> items.add(new End(choice, g, e))));
      states.add(new StreamState(request, header, promptIds, config.logprobs() >= 0 ? logprobs : null, choice));
    }
    List<Generation> finished = new ArrayList<>();
    try (EventStream events = new EventStream(exchange)) {
      if (request.operation() == Operation.CHAT) {
        for (StreamState state : states) {
          events.data(state.chunk("assistant", "", null, request.returnTokenIds() ? List.of() : null));
        }
      }
      while (true) {
        long now = System.nanoTime();
        long wait = KEEP_ALIVE_NANOS;
        for (StreamState state : states) {
          if (state.pending()) {
            wait = Math.min(wait, state.pendingSince() + LINGER_NANOS - now);
          }
        }
        Item item = wait > 0 ? items.poll(wait, TimeUnit.NANOSECONDS) : items.poll();
        switch (item) {
          case null -> {
            boolean sent = false;
            for (StreamState state : states) {
              JsonObject chunk = state.pending() ? state.flush(null) : null;
              if (chunk != null) {
                events.data(chunk);
                sent = true;
              }
            }
            if (!sent) {
              events.keepAlive();
            }
          }
          case Token t -> states.get(t.choice()).add(t.event());
          case End end -> {
            if (end.generation() == null) {
              submitted.forEach(s -> s.handle().cancel());
              fail(events, states.get(end.choice()), end);
              return;
            }
            finish(events, states.get(end.choice()), end.generation(), request);
            finished.add(end.generation());
            if (finished.size() == states.size()) {
              if (request.includeUsage()) {
                events.data(Responses.usageChunk(header, finished));
              }
              events.done();
              return;
            }
          }
        }
      }
    } catch (IOException e) {
      submitted.forEach(s -> s.handle().cancel()); // the client went away
    } catch (InterruptedException e) {
      submitted.forEach(s -> s.handle().cancel());
      Thread.currentThread().interrupt();
    }
  }

  private static void fail(EventStream events, StreamState state, End end) throws IOException {
    JsonObject chunk = state.pending() ? state.flush(null) : null;
    if (chunk != null) {
      events.data(chunk);
    }
    events.data(engineFailure(unwrapped(end.error())).toJson());
    events.done();
  }

  /** The last chunks of one choice: its remaining text or its tool calls, and its finish reason. */
  private static void finish(EventStream events, StreamState state, Generation generation, CompletionRequest request)
      throws IOException {
    ToolCalling.Parsed parsed = request.toolCalls() ? ToolCalling.parse(generation.text()) : null;
    if (parsed != null && !parsed.calls().isEmpty()) {
      state.addRemainder(parsed.content() == null ? "" : parsed.content());
      JsonObject content = state.flush(null);
      if (content != null) {
        events.data(content);
      }
      events.data(state.indexed(Responses.toolCallsChunk(state.header, parsed.calls(), state.usageField())));
      events.data(state.flush("tool_calls"));
    } else {
      state.addRemainder(generation.text());
      events.data(state.flush(Responses.finishReason(generation.finishReason())));
    }
  }

  /** The text and ids generated but not yet sent, and what was sent. */
  private static final class StreamState {
    private final CompletionRequest request;
    private final @Nullable ToolCallTextFilter toolCallText;
    private final @Nullable LogprobsJson logprobsJson;
    private final int choice;
    private final List<TokenLogprobs> pendingLogprobs = new ArrayList<>();
    private final Responses.ResponseHeader header;
    private final int[] promptIds;
    private boolean promptIdsSent;
    private final StringBuilder sent = new StringBuilder();
    private final StringBuilder text = new StringBuilder();
    private final List<Integer> ids = new ArrayList<>();
    private boolean hasPending;
    private long pendingSince;
    private int tokens;

    StreamState(CompletionRequest request, Responses.ResponseHeader header, int[] promptIds,
        @Nullable LogprobsJson logprobsJson, int choice) {
      this.choice = choice;
      this.logprobsJson = logprobsJson;
      this.toolCallText = request.toolCalls() ? new ToolCallTextFilter() : null;
      this.request = request;
      this.header = header;
      this.promptIds = promptIds;
    }

    boolean pending() {
      return hasPending;
    }

    long pendingSince() {
      return pendingSince;
    }

    void add(TokenEvent event) {
      if (!hasPending) {
        pendingSince = System.nanoTime();
        hasPending = true;
      }
      text.append(toolCallText == null ? event.text() : toolCallText.accept(event.text()));
      ids.add(event.id());
      if (event.logprobs() != null) {
        pendingLogprobs.add(event.logprobs());
      }
      tokens++;
    }

    /** The part of the final text not streamed yet (text a possible stop string held back). */
    void addRemainder(String finalText) {
      String streamed = sent.toString() + text;
      if (finalText.length() > streamed.length() && finalText.startsWith(streamed)) {
        text.append(finalText, streamed.length(), finalText.length());
      }
    }

    /**
     * The chunk of the text not sent yet, with {@code finishReason} when it is the last; {@code null} when
     * there is neither text nor a finish to send. (With tools, {@link #add} kept a possible call out of the
     * text; the calls go out as {@code tool_calls} at the end.)
     */
    @Nullable JsonObject flush(@Nullable String finishReason) {
      hasPending = false;
      if (text.isEmpty() && finishReason == null) {
        return null;
      }
      var chunk = chunk(null, text.toString(), finishReason, request.returnTokenIds() ? List.copyOf(ids) : null);
      sent.append(text);
      text.setLength(0);
      ids.clear();
      return chunk;
    }

    /** {@code chunk} with its one choice numbered as this choice. */
    JsonObject indexed(JsonObject chunk) {
      chunk.getAsJsonArray("choices").get(0).getAsJsonObject().addProperty("index", choice);
      return chunk;
    }

    @Nullable JsonElement usageField() {
      if (request.continuousUsage()) {
        return Responses.usage(promptIds.length, tokens);
      }
      return request.includeUsage() ? JsonNull.INSTANCE : null;
    }

    JsonObject chunk(@Nullable String role, String content, @Nullable String finish, @Nullable List<Integer> tokenIds) {
      JsonObject json = indexed(Responses.chunk(header, role, content, finish, tokenIds, usageField()));
      if (logprobsJson != null && !pendingLogprobs.isEmpty()) {
        json.getAsJsonArray("choices").get(0).getAsJsonObject().add("logprobs",
            logprobsJson.json(request.operation(), pendingLogprobs, sent.length()));
        pendingLogprobs.clear();
      }
      if (request.returnTokenIds() && !promptIdsSent) {
        json.add("prompt_token_ids", Responses.ids(java.util.Arrays.stream(promptIds).boxed().toList()));
        promptIdsSent = true;
      }
      return json;
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[12];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }
}
