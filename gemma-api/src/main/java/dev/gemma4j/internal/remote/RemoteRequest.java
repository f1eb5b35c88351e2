package dev.gemma4j.internal.remote;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.FinishReason;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.QueueFullException;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.internal.StrictJson;
import dev.gemma4j.internal.engine.GenerationFuture;
import dev.gemma4j.internal.engine.RequestDelivery;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One generation on a remote server, on a virtual thread of its own: choose a server, send, retry what
 * failed before the first byte of the answer, then read the event stream into tokens for the listener and
 * a {@link Generation}. Cancelling, the request's timeout and the engine's timeouts abort it by closing the
 * connection, which tells the server to stop generating.
 */
final class RemoteRequest implements GenerationHandle {
  /** Why a request was stopped from outside its thread. */
  private enum Abort {
    CANCELLED,
    TIMEOUT,
    FIRST_TOKEN_TIMEOUT,
    IDLE_TIMEOUT,
    TOTAL_TIMEOUT
  }

  private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
  private static final long MAX_RETRY_AFTER_SECONDS = 60;

  private final RemoteEngine.Context context;
  private final String path;
  private final String body;
  private final int @Nullable [] promptIds;
  private final GenerationConfig config;
  private final GenerationFuture future;
  private final RequestDelivery delivery;
  private final AtomicReference<@Nullable Abort> abort = new AtomicReference<>();
  private final List<ScheduledFuture<?>> timers = new ArrayList<>();
  private volatile @Nullable Thread worker;
  private volatile @Nullable InputStream stream;
  private volatile long firstTokenNanos;
  private volatile long lastTokenNanos;
  private final long start = System.nanoTime();

  RemoteRequest(
      RemoteEngine.Context context, String path, JsonObject body, int @Nullable [] promptIds, GenerationConfig config,
      Consumer<TokenEvent> listener) {
    this.context = context;
    this.path = path;
    this.body = body.toString();
    this.promptIds = promptIds;
    this.config = config;
    this.future = new GenerationFuture(this::cancel);
    this.delivery = new RequestDelivery(listener, future, Runnable::run, this::cancel);
  }

  void start() {
    Duration total = context.options().totalTimeout();
    boolean ownTimeout = config.timeout() != null && config.timeout().compareTo(total) < 0;
    Duration limit = ownTimeout ? config.timeout() : total;
    synchronized (timers) {
      timers.add(context.timer().schedule(
          () -> abort(ownTimeout ? Abort.TIMEOUT : Abort.TOTAL_TIMEOUT), limit.toNanos(), TimeUnit.NANOSECONDS));
      timers.add(context.timer().schedule(
          () -> {
            if (firstTokenNanos == 0) {
              abort(Abort.FIRST_TOKEN_TIMEOUT);
            }
          },
          context.options().firstTokenTimeout().toNanos(), TimeUnit.NANOSECONDS));
      long idle = context.options().idleTimeout().toNanos();
      long period = Math.clamp(idle / 4, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
      timers.add(context.timer().scheduleWithFixedDelay(
          () -> {
            if (firstTokenNanos != 0 && System.nanoTime() - lastTokenNanos > idle) {
              abort(Abort.IDLE_TIMEOUT);
            }
          },
          period, period, TimeUnit.NANOSECONDS));
    }
    Thread thread = Thread.ofVirtual().name("gemma-remote").unstarted(this::run);
    worker = thread;
    thread.start();
  }

  @Override
  public GenerationFuture result() {
    return future;
  }

  @Override
  public void cancel() {
    abort(Abort.CANCELLED);
  }

  private void abort(Abort reason) {
    if (!future.isDone() && abort.compareAndSet(null, reason)) {
      Thread thread = worker;
      if (thread != null && thread != Thread.currentThread()) {
        thread.interrupt();
      }
      closeStream();
    }
  }

  private void closeStream() {
    InputStream in = stream;
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // closing is how the connection is dropped; nothing more to do
      }
    }
  }

  // ---- the request's thread ----

  private void run() {
    try {
      send();
    } catch (GemmaException e) {
      delivery.fail(e);
    } catch (RuntimeException e) {
      delivery.fail(new GemmaException("the remote generation failed: " + e, e));
    } finally {
      synchronized (timers) {
        timers.forEach(t -> t.cancel(false));
      }
      context.finished(this);
    }
  }

  /** Tries servers until one answers 200, then reads its stream; retries only before the first byte. */
  private void send() {
    List<Endpoint> tried = new ArrayList<>();
    for (int attempt = 0; ; attempt++) {
      if (abort.get() != null) {
        endAborted(new Progress());
        return;
      }
      Endpoint endpoint = context.pool().acquire(tried).orElse(null);
      if (endpoint == null) {
        tried.clear(); // every server failed this request once: go round again while retries last
        endpoint = context.pool().acquire(tried).orElseThrow();
      }
      long retryAfterNanos;
      try {
        retryAfterNanos = tryOnce(endpoint, attempt);
      } finally {
        endpoint.release();
      }
      if (retryAfterNanos < 0) {
        return;
      }
      tried.add(endpoint);
      try {
        TimeUnit.NANOSECONDS.sleep(retryAfterNanos);
      } catch (InterruptedException e) {
        // aborted: the loop ends the request with the abort's reason
      }
    }
  }

  /** One try on {@code endpoint}: -1 when the request ended, else how long to wait before the next try. */
  private long tryOnce(Endpoint endpoint, int attempt) {
    boolean lastTry = attempt >= context.options().maxRetries();
    HttpResponse<InputStream> response;
    try {
      response = context.http().send(request(endpoint), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      endAborted(new Progress());
      return -1;
    } catch (java.net.http.HttpConnectTimeoutException e) {
      return unreachable(endpoint, e, attempt, lastTry);
    } catch (java.net.http.HttpTimeoutException e) {
      // Connected, but not even the headers came within the first-token time: the request may be running
      // there, so it is not sent again.
      abort.compareAndSet(null, Abort.FIRST_TOKEN_TIMEOUT);
      endAborted(new Progress());
      return -1;
    } catch (IOException e) {
      return unreachable(endpoint, e, attempt, lastTry);
    }
    int status = response.statusCode();
    if (status == 200) {
      context.pool().succeeded(endpoint);
      readStream(endpoint, response.body());
      return -1;
    }
    String message = errorMessage(response);
    boolean retryable = status == 408 || status == 429 || status >= 500;
    if (status >= 500) {
      context.pool().eject(endpoint);
    }
    if (retryable && !lastTry) {
      return status == 429 ? retryAfterNanos(response, attempt) : backoffNanos(attempt);
    }
    String text = "the server at " + endpoint + " answered HTTP " + status + ": " + message;
    throw switch (status) {
      case 429 -> new QueueFullException(text + " (after " + (attempt + 1) + " tries); retry later or add servers");
      case 401, 403 -> new GemmaException(text + "; check GemmaOptions.apiKey");
      default -> new GemmaException(text);
    };
  }

  /** A try that reached no server: eject it and back off, or fail after the last try. */
  private long unreachable(Endpoint endpoint, IOException e, int attempt, boolean lastTry) {
    if (abort.get() != null) {
      endAborted(new Progress());
      return -1;
    }
    context.pool().eject(endpoint);
    if (lastTry) {
      throw new GemmaException(
          "cannot reach the server at " + endpoint + " (" + describe(e) + ") after " + (attempt + 1) + " tries;"
              + " check that it runs and that GemmaOptions.endpoints names it", e);
    }
    return backoffNanos(attempt);
  }

  private HttpRequest request(Endpoint endpoint) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint.resolve(path))
        .timeout(context.options().firstTokenTimeout())
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (context.apiKey() != null) {
      builder.header("Authorization", "Bearer " + context.apiKey());
    }
    return builder.build();
  }

  private static long backoffNanos(int attempt) {
    return TimeUnit.MILLISECONDS.toNanos(Math.min(2000, 100L << Math.min(attempt, 4)));
  }

  private static long retryAfterNanos(HttpResponse<?> response, int attempt) {
    String value = response.headers().firstValue("Retry-After").orElse("");
    try {
      long seconds = Long.parseLong(value.trim());
      return TimeUnit.SECONDS.toNanos(Math.clamp(seconds, 0, MAX_RETRY_AFTER_SECONDS));
    } catch (NumberFormatException e) {
      return backoffNanos(attempt); // absent, or an HTTP date: back off as for other failures
    }
  }

  /** The {@code error.message} of an OpenAI error body, else the start of the body. */
  private static String errorMessage(HttpResponse<InputStream> response) {
    byte[] bytes;
    try (InputStream in = response.body()) {
      bytes = in.readNBytes(MAX_ERROR_BODY_BYTES);
    } catch (IOException e) {
      return "(no body: " + e.getMessage() + ")";
    }
    String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    try {
      JsonObject json = StrictJson.parseObject(text, "the error body", IllegalArgumentException::new);
      JsonElement error = json.get("error");
      JsonElement message = error != null && error.isJsonObject() ? error.getAsJsonObject().get("message")
          : json.get("message");
      if (message != null && message.isJsonPrimitive()) {
        return message.getAsString();
      }
    } catch (IllegalArgumentException ignored) {
      // not JSON: show the text
    }
    String flat = text.strip().replaceAll("\\s+", " ");
    return flat.isEmpty() ? "(empty body)" : flat.substring(0, Math.min(300, flat.length()));
  }

  /** An I/O failure in a few words: its kind, and its message when it has one. */
  static String describe(IOException e) {
    return e.getMessage() != null ? e.getClass().getSimpleName() + ": " + e.getMessage() : e.getClass().getSimpleName();
  }

  /** What a stream delivered so far. */
  private final class Progress {
    final StringBuilder text = new StringBuilder();
    final List<Integer> ids = new ArrayList<>();
    int events;
    int[] prompt = promptIds != null ? promptIds : new int[0];
    int promptTokens = promptIds != null ? promptIds.length : 0;
    int completionTokens = -1;
    int cachedTokens;
    @Nullable FinishReason finish;

    /** Tokens generated, as the server counts them where it does, never more than were asked for. */
    int generated() {
      return Math.min(config.maxNewTokens(), completionTokens >= 0 ? completionTokens : Math.max(ids.size(), events));
    }
  }

  private void readStream(Endpoint endpoint, InputStream body) {
    Progress progress = new Progress();
    InputStream in = new BufferedInputStream(body);
    stream = in;
    if (abort.get() != null) {
      closeStream();
    }
    try (in) {
      SseReader reader = new SseReader(in);
      String data;
      while ((data = reader.nextData()) != null && !data.equals("[DONE]")) {
        JsonObject chunk = StrictJson.parseObject(data, "an event from " + endpoint, GemmaException::new);
        if (!accept(endpoint, chunk, progress)) {
          // The server went on past maxNewTokens: closing the stream (the try's end) drops the connection,
          // which stops its generation.
          complete(progress, FinishReason.LENGTH);
          return;
        }
      }
    } catch (IOException e) {
      if (abort.get() != null) {
        endAborted(progress);
        return;
      }
      context.pool().eject(endpoint);
      throw new GemmaException(
          "the connection to " + endpoint + " was lost after " + progress.events + " generated tokens ("
              + describe(e) + "); a generation cannot be resumed on another server: submit the request again", e);
    }
    if (abort.get() != null) {
      endAborted(progress);
      return;
    }
    if (progress.finish == null) {
      throw new GemmaException("the stream from " + endpoint + " ended after " + progress.events
          + " generated tokens without a finish reason; the server stopped before the generation ended");
    }
    complete(progress, progress.finish);
  }

  /**
   * Takes one event into {@code progress}; false when it carries tokens past {@code maxNewTokens}, which a
   * server that honours {@code max_tokens} never sends: those are dropped and the stream is ended.
   */
  private boolean accept(Endpoint endpoint, JsonObject chunk, Progress progress) {
    JsonElement error = chunk.get("error");
    if (error != null && !error.isJsonNull()) {
      String message = error.isJsonObject() && error.getAsJsonObject().has("message")
          ? error.getAsJsonObject().get("message").getAsString() : error.toString();
      throw new GemmaException("the server at " + endpoint + " failed the generation: " + message);
    }
    JsonElement prompt = chunk.get("prompt_token_ids");
    if (prompt != null && prompt.isJsonArray() && !prompt.getAsJsonArray().isEmpty()) {
      progress.prompt = ids(prompt.getAsJsonArray(), endpoint);
      progress.promptTokens = progress.prompt.length;
    }
    JsonElement usage = chunk.get("usage");
    if (usage != null && usage.isJsonObject()) {
      JsonObject u = usage.getAsJsonObject();
      progress.promptTokens = intField(u, "prompt_tokens", progress.promptTokens);
      progress.completionTokens = intField(u, "completion_tokens", progress.completionTokens);
      JsonElement details = u.get("prompt_tokens_details");
      if (details != null && details.isJsonObject()) {
        progress.cachedTokens = intField(details.getAsJsonObject(), "cached_tokens", 0);
      }
    }
    JsonElement choices = chunk.get("choices");
    if (choices == null || !choices.isJsonArray() || choices.getAsJsonArray().isEmpty()) {
      return true;
    }
    JsonObject choice = choices.getAsJsonArray().get(0).getAsJsonObject();
    String text = "";
    JsonElement delta = choice.get("delta");
    JsonElement piece = delta != null && delta.isJsonObject() ? delta.getAsJsonObject().get("content") : choice.get("text");
    if (piece != null && piece.isJsonPrimitive()) {
      text = piece.getAsString();
    }
    JsonElement tokenIds = choice.get("token_ids");
    int[] ids = tokenIds != null && tokenIds.isJsonArray() ? ids(tokenIds.getAsJsonArray(), endpoint) : new int[0];
    if (!text.isEmpty() || ids.length > 0) {
      int room = config.maxNewTokens() - progress.events;
      if (room <= 0) {
        return false;
      }
      if (ids.length > room) {
        // A chunk that crosses the limit keeps its first ids; its text stays whole (no tokenizer here to cut it).
        ids = java.util.Arrays.copyOf(ids, room);
      }
      long now = System.nanoTime();
      if (firstTokenNanos == 0) {
        firstTokenNanos = now;
      }
      lastTokenNanos = now;
      progress.text.append(text);
      if (ids.length == 0) {
        delivery.token(new TokenEvent(progress.events++, -1, text));
      }
      for (int i = 0; i < ids.length; i++) {
        progress.ids.add(ids[i]);
        delivery.token(new TokenEvent(progress.events++, ids[i], i == ids.length - 1 ? text : ""));
      }
    }
    JsonElement finish = choice.get("finish_reason");
    if (finish != null && finish.isJsonPrimitive()) {
      JsonElement stopReason = choice.get("stop_reason");
      progress.finish = switch (finish.getAsString()) {
        case "length" -> FinishReason.LENGTH;
        case "abort" -> FinishReason.CANCELLED;
        default -> stopReason != null && stopReason.isJsonPrimitive() && stopReason.getAsJsonPrimitive().isString()
            ? FinishReason.STOP_STRING : FinishReason.STOP_TOKEN;
      };
    }
    return true;
  }

  private static int intField(JsonObject object, String name, int otherwise) {
    JsonElement value = object.get(name);
    if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
      return otherwise;
    }
    long n = value.getAsLong();
    return n >= 0 && n <= Integer.MAX_VALUE ? (int) n : otherwise;
  }

  /** Token ids as the server sent them, each an integer inside the vocabulary learned at open. */
  private int[] ids(JsonArray array, Endpoint endpoint) {
    int vocabulary = context.vocabSize();
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonElement e = array.get(i);
      if (!StrictJson.isInteger(e) || e.getAsLong() < 0 || e.getAsLong() >= vocabulary) {
        throw new GemmaException("the server at " + endpoint + " sent the token id " + e + ", which is not an"
            + " integer in the vocabulary [0, " + vocabulary + "); its answer cannot be trusted");
      }
      ids[i] = e.getAsInt();
    }
    return ids;
  }

  private void endAborted(Progress progress) {
    Abort reason = abort.get();
    switch (reason) {
      case CANCELLED -> complete(progress, FinishReason.CANCELLED);
      case TIMEOUT -> complete(progress, FinishReason.TIMEOUT);
      case FIRST_TOKEN_TIMEOUT -> throw new GemmaException(
          "no token came from the server within " + context.options().firstTokenTimeout().toSeconds() + " s (the"
              + " request may wait in its queue); raise RemoteOptions.firstTokenTimeout or add servers");
      case IDLE_TIMEOUT -> throw new GemmaException(
          "the server stalled: no token came for " + context.options().idleTimeout().toSeconds() + " s after "
              + progress.events + " generated tokens (RemoteOptions.idleTimeout); the generation was abandoned");
      case TOTAL_TIMEOUT -> throw new GemmaException(
          "the generation took longer than RemoteOptions.totalTimeout (" + context.options().totalTimeout().toSeconds()
              + " s) and was stopped after " + progress.events + " tokens");
      case null -> throw new IllegalStateException("not aborted");
    }
  }

  private void complete(Progress progress, FinishReason reason) {
    long now = System.nanoTime();
    long first = firstTokenNanos == 0 ? now : firstTokenNanos;
    GenerationStats stats = new GenerationStats(
        progress.promptTokens, progress.generated(), Duration.ofNanos(first - start), Duration.ofNanos(now - start),
        0, 0, progress.cachedTokens);
    List<Integer> prompt = java.util.Arrays.stream(progress.prompt).boxed().toList();
    delivery.complete(new Generation(progress.text.toString(), prompt, progress.ids, reason, stats, List.of()));
  }
}
