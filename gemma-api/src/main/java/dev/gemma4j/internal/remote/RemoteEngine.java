package dev.gemma4j.internal.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.EngineClosedException;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.DeviceCounters;
import dev.gemma4j.engine.EngineInfo;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.engine.MemorySnapshot;
import dev.gemma4j.engine.RemoteOptions;
import dev.gemma4j.internal.StrictJson;
import dev.gemma4j.spi.Engine;
import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine whose model runs on OpenAI-compatible servers: {@code gemma serve}, vLLM or vllm-ascend,
 * SGLang, MindIE. Each request streams from the server with the fewest requests in flight; failures before
 * the first byte are retried on another server; timeouts and cancellation close the connection, which
 * stops the server's generation. There is no tokenizer here: text goes to the server as text.
 */
public final class RemoteEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteEngine.class);

  /** What the requests of one engine share. */
  record Context(
      HttpClient http, EndpointPool pool, RemoteOptions options, @Nullable String apiKey,
      ScheduledExecutorService timer, Consumer<RemoteRequest> onFinish, AtomicInteger vocabulary) {
    void finished(RemoteRequest request) {
      onFinish.accept(request);
    }

    /** Token ids from the servers must be below this: their vocabulary size, or the largest any model has. */
    int vocabSize() {
      return vocabulary.get();
    }
  }

  private static final int MAX_MODEL_LIST_BYTES = 4 << 20;

  private final String model;
  private final Context context;
  private final EngineInfo info;
  private final Set<RemoteRequest> inFlight = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private boolean closed;

  private RemoteEngine(String model, GemmaOptions options) {
    this.model = model;
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(options.remote().connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(Executors.newVirtualThreadPerTaskExecutor())
        .build();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("gemma-remote-timer").daemon().factory());
    EndpointPool pool = new EndpointPool(options.endpoints(), options.remote().ejectFor());
    this.context = new Context(http, pool, options.remote(), options.apiKey(), timer, inFlight::remove,
        new AtomicInteger(ModelConfig.MAX_VOCAB_SIZE));
    this.info = new EngineInfo(
        model, null, null, model, "remote", "OpenAI API at " + String.join(", ", pool.all().stream().map(Endpoint::toString).toList()),
        GenerationConfig.defaults(), 0);
  }

  /**
   * Opens an engine over {@code options.endpoints()} serving {@code model}: asks each server's
   * {@code /models} that it serves the model; a server that does not answer is ejected for now.
   *
   * @throws GemmaException when no server answers, or one serves other models only
   */
  public static RemoteEngine open(String model, GemmaOptions options) {
    RemoteEngine engine = new RemoteEngine(model, options);
    try {
      engine.checkServers();
      return engine;
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
  }

  private void checkServers() {
    List<String> unreachable = new ArrayList<>();
    for (Endpoint endpoint : context.pool().all()) {
      try {
        List<String> served = servedModels(endpoint);
        if (!served.contains(model)) {
          throw new GemmaException("the server at " + endpoint + " serves " + served + ", not '" + model
              + "'; open the model by the name the server uses (gemma serve --served-model-name, vLLM"
              + " --served-model-name)");
        }
      } catch (IOException e) {
        context.pool().eject(endpoint);
        unreachable.add(endpoint + " (" + RemoteRequest.describe(e) + ")");
        LOG.warn("the server at {} does not answer; it gets no requests for now", endpoint);
      }
    }
    if (unreachable.size() == context.pool().all().size()) {
      throw new GemmaException("no server of the remote engine answers: " + String.join(", ", unreachable)
          + "; start one (gemma serve) or check GemmaOptions.endpoints");
    }
  }

  private List<String> servedModels(Endpoint endpoint) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.resolve("/models"))
        .timeout(context.options().connectTimeout()).GET();
    if (context.apiKey() != null) {
      request.header("Authorization", "Bearer " + context.apiKey());
    }
    HttpResponse<java.io.InputStream> response;
    try {
      response = context.http().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GemmaException("interrupted while asking " + endpoint + " for its models", e);
    }
    // The list is read within a bound of bytes and of time: a server that sends an endless or a stalled
    // body gets an error, not this process's heap or a wait without end.
    byte[] body;
    try (java.io.InputStream in = response.body()) {
      var deadline = context.timer().schedule(() -> {
        try {
          in.close();
        } catch (IOException ignored) {
          // closing is what ends the read
        }
      }, context.options().connectTimeout().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
      try {
        body = in.readNBytes(MAX_MODEL_LIST_BYTES + 1);
      } finally {
        deadline.cancel(false);
      }
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw new GemmaException("the server at " + endpoint + " refused the API key (HTTP " + response.statusCode()
          + "); set GemmaOptions.apiKey to the key it was started with");
    }
    if (response.statusCode() != 200) {
      throw new IOException("GET /models answered HTTP " + response.statusCode());
    }
    if (body.length > MAX_MODEL_LIST_BYTES) {
      throw new GemmaException("the model list of " + endpoint + " is larger than 4 MiB; that is not an OpenAI server");
    }
    JsonObject json = StrictJson.parseObject(
        new String(body, java.nio.charset.StandardCharsets.UTF_8), "the model list of " + endpoint,
        GemmaException::new);
    List<String> ids = new ArrayList<>();
    JsonElement data = json.get("data");
    if (data != null && data.isJsonArray()) {
      for (JsonElement m : data.getAsJsonArray()) {
        if (m.isJsonObject() && m.getAsJsonObject().get("id") instanceof com.google.gson.JsonPrimitive id) {
          ids.add(id.getAsString());
          if (id.getAsString().equals(model)) {
            learnVocabulary(endpoint, m.getAsJsonObject().get("vocab_size"));
          }
        }
      }
    }
    return ids;
  }

  /**
   * {@code gemma serve} lists the model's vocabulary size ({@code vocab_size}, an extension other servers
   * lack); token ids are checked against the smallest one given, else against
   * {@link ModelConfig#MAX_VOCAB_SIZE}.
   */
  private void learnVocabulary(Endpoint endpoint, @Nullable JsonElement value) {
    if (value == null) {
      return;
    }
    if (!StrictJson.isInteger(value) || value.getAsLong() < 1 || value.getAsLong() > ModelConfig.MAX_VOCAB_SIZE) {
      throw new GemmaException("the server at " + endpoint + " lists vocab_size " + value + " for '" + model
          + "'; a vocabulary holds 1 to " + ModelConfig.MAX_VOCAB_SIZE
          + " tokens, so that is not a model server to trust");
    }
    context.vocabulary().accumulateAndGet(value.getAsInt(), Math::min);
  }

  @Override
  public GenerationHandle submit(Prompt prompt, GenerationConfig config, Consumer<TokenEvent> listener) {
    JsonObject body = RequestBodies.body(model, prompt, config);
    RemoteRequest request =
        new RemoteRequest(context, RequestBodies.path(prompt), body, prompt.tokenIds(), config, listener);
    synchronized (lock) {
      if (closed) {
        throw new EngineClosedException("this remote model is closed; open it again to generate", null);
      }
      inFlight.add(request);
    }
    request.start();
    return request;
  }

  @Override
  public GenerationHandle submit(int[] promptIds, GenerationConfig config, Consumer<TokenEvent> listener) {
    return submit(Prompt.ids(promptIds), config, listener);
  }

  @Override
  public EngineInfo info() {
    return info;
  }

  /** Requests in flight as running; the servers' own batches are theirs to report. */
  @Override
  public EngineStats stats() {
    return new EngineStats(0, java.util.List.of(), 0, inFlight.size(), 0, 0, 0, 0, 0, DeviceCounters.NONE);
  }

  @Override
  public boolean isOpen() {
    synchronized (lock) {
      return !closed;
    }
  }

  @Override
  public Optional<GemmaTokenizer> tokenizer() {
    return Optional.empty();
  }

  /** Memory is the servers': this process holds no weights or cache for the model. */
  @Override
  public MemoryProbe memoryProbe() {
    return new MemoryProbe() {
      @Override
      public MemorySnapshot snapshot() {
        Runtime rt = Runtime.getRuntime();
        return new MemorySnapshot("remote", 0, 0, 0, 0, 0, 0, rt.totalMemory() - rt.freeMemory());
      }

      @Override
      public void resetPeak() {}
    };
  }

  /** Cancels the requests in flight (they end with {@code CANCELLED}) and refuses new ones. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    List<RemoteRequest> running = new ArrayList<>(inFlight);
    running.forEach(RemoteRequest::cancel);
    for (RemoteRequest r : running) {
      try {
        r.result().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // it ended one way or another; its caller sees how
      }
    }
    context.timer().shutdownNow();
    context.http().close();
  }
}
