package dev.gemma4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.testkit.BundledModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server's statuses, key, limits, disconnects, draining, health and metrics, over plain HTTP and the SDK. */
class ServerBehaviourTest {
  static final String MODEL = "tiny-gemma";
  static Gemma gemma;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void open() {
    // One sequence at a time and one waiting: a third request finds the queue full.
    EngineOptions engine = EngineOptions.defaults().withMaxBatchSize(1).withQueueCapacity(1);
    gemma = Gemma.open(BundledModel.path(), GemmaOptions.builder().backend("cpu").engine(engine).build());
  }

  @AfterAll
  static void close() {
    gemma.close();
  }

  static GemmaServer serve(ServerOptions.Builder options) {
    return GemmaServer.start(gemma, options.port(0).servedModelName(MODEL).build());
  }

  static HttpResponse<String> post(GemmaServer server, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUri() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Waits up to {@code seconds} for /metrics to count one cancelled request. */
  static void assertOneCancelled(GemmaServer server, int seconds) throws Exception {
    String cancelled = "gemma_request_success_total{finished_reason=\"cancelled\"} 1";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String metrics = get(server, "/metrics").body();
    while (!metrics.contains(cancelled) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      metrics = get(server, "/metrics").body();
    }
    assertTrue(metrics.contains(cancelled), metrics);
  }

  static HttpResponse<String> get(GemmaServer server, String path) throws Exception {
    URI base = server.baseUri();
    URI uri = path.startsWith("/v1") ? URI.create(base + path.substring(3)) : base.resolve(path);
    return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonObject error(HttpResponse<String> response) {
    return JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("error");
  }

  static String chatBody(String text, int maxTokens, boolean stream) {
    return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}],"
        + "\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"stream\":" + stream + "}";
  }

  /** Browsers: listed origins get CORS headers and preflights answered without the key; others do not. */
  @Test
  void corsForListedOriginsOnly() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder().apiKey("secret")
        .allowedOrigins(List.of("https://app.example.com")))) {
      HttpRequest preflight = HttpRequest.newBuilder(URI.create(server.baseUri() + "/chat/completions"))
          .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example.com")
          .header("Access-Control-Request-Method", "POST")
          .header("Access-Control-Request-Headers", "authorization, content-type").build();
      HttpResponse<String> ok = http.send(preflight, HttpResponse.BodyHandlers.ofString());
      assertEquals(204, ok.statusCode(), "a preflight needs no key");
      assertEquals("https://app.example.com", ok.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
      assertTrue(ok.headers().firstValue("Access-Control-Allow-Methods").orElseThrow().contains("POST"));
      assertEquals("authorization, content-type", ok.headers().firstValue("Access-Control-Allow-Headers").orElseThrow());
      HttpRequest other = HttpRequest.newBuilder(URI.create(server.baseUri() + "/chat/completions"))
          .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://evil.example.com")
          .header("Access-Control-Request-Method", "POST").build();
      assertEquals(403, http.send(other, HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> call = post(server, "/chat/completions", chatBody("hi", 2, false),
          "Authorization", "Bearer secret", "Origin", "https://app.example.com");
      assertEquals(200, call.statusCode(), call.body());
      assertEquals("https://app.example.com", call.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
      HttpResponse<String> foreign = post(server, "/chat/completions", chatBody("hi", 2, false),
          "Authorization", "Bearer secret", "Origin", "https://evil.example.com");
      assertTrue(foreign.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
      HttpResponse<String> noKey = post(server, "/chat/completions", chatBody("hi", 2, false),
          "Origin", "https://app.example.com");
      assertEquals(401, noKey.statusCode(), "the key still guards the call itself");
    }
    assertThrows(IllegalArgumentException.class,
        () -> ServerOptions.builder().allowedOrigins(List.of("https://app.example.com/path")).build());
  }

  @Test
  void wrongOrMissingKeyIs401AndHealthNeedsNone() throws Exception {
    try (GemmaServer versioned = serve(ServerOptions.builder().apiKey("secret"))) {
      var version = get(versioned, "/version");
      assertEquals(200, version.statusCode(), "vLLM's /version answers without the key, as /health does");
      assertEquals(dev.gemma4j.GemmaVersion.current(),
          com.google.gson.JsonParser.parseString(version.body()).getAsJsonObject().get("version").getAsString());
    }
    try (GemmaServer server = serve(ServerOptions.builder().apiKey("s3cret"))) {
      assertEquals(401, post(server, "/chat/completions", chatBody("hi", 2, false)).statusCode());
      var wrong = post(server, "/chat/completions", chatBody("hi", 2, false), "Authorization", "Bearer s3cret2");
      assertEquals(401, wrong.statusCode());
      assertEquals("invalid_api_key", error(wrong).get("code").getAsString());
      assertFalse(wrong.body().contains("s3cret"), "the key is never echoed");
      var right = post(server, "/chat/completions", chatBody("hi", 2, false), "Authorization", "Bearer s3cret");
      assertEquals(200, right.statusCode(), right.body());
      assertEquals(200, get(server, "/health").statusCode());
      assertEquals(200, get(server, "/metrics").statusCode());
      {
        OpenAIClient sdk = OpenAiConformanceTest.client(server, "wrong");
        assertThrows(UnauthorizedException.class, () -> sdk.models().list());
        sdk.close();
      }
    }
  }

  @Test
  void malformedRequestsAre400() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      var notJson = post(server, "/chat/completions", "{\"model\": ");
      assertEquals(400, notJson.statusCode());
      assertTrue(error(notJson).get("message").getAsString().contains("not valid JSON"), notJson.body());
      var duplicateKey = post(server, "/completions", "{\"prompt\":\"a\",\"prompt\":\"b\"}");
      assertEquals(400, duplicateKey.statusCode());
      var wrongType = post(server, "/completions", "{\"prompt\":\"a\",\"max_tokens\":\"ten\"}");
      assertEquals(400, wrongType.statusCode());
      assertEquals("max_tokens", error(wrongType).get("param").getAsString());
      var tooLong = post(server, "/completions", "{\"prompt\":[2," + "5,".repeat(9000) + "5],\"max_tokens\":1}");
      assertEquals(400, tooLong.statusCode());
      assertTrue(error(tooLong).get("message").getAsString().contains("context"), tooLong.body());
      var outsideVocabulary = post(server, "/completions", "{\"prompt\":[2, 999999999],\"max_tokens\":1}");
      assertEquals(400, outsideVocabulary.statusCode());
      var image = post(server, "/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
          + "\"image_url\":{\"url\":\"http://x\"}}]}]}");
      assertEquals(400, image.statusCode());
      assertTrue(error(image).get("message").getAsString().contains("image input is not supported"), image.body());
      assertEquals(405, http.send(HttpRequest.newBuilder(server.baseUri().resolve("/v1/completions")).GET().build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(404, get(server, "/v1/embeddings").statusCode());
      // The server still answers after all of that.
      assertEquals(200, post(server, "/completions", "{\"prompt\":\"a\",\"max_tokens\":2}").statusCode());
    }
  }

  @Test
  void bodyLargerThanTheLimitIs413() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder().maxBodyBytes(4096))) {
      var large = post(server, "/completions", "{\"prompt\":\"" + "a".repeat(5000) + "\"}");
      assertEquals(413, large.statusCode());
      assertEquals("request_too_large", error(large).get("code").getAsString());
      // Without a declared length (chunked), the limit holds while reading.
      HttpRequest chunked = HttpRequest.newBuilder(server.baseUri().resolve("/v1/completions"))
          .POST(HttpRequest.BodyPublishers.ofInputStream(
              () -> new java.io.ByteArrayInputStream(("{\"prompt\":\"" + "a".repeat(9000) + "\"}").getBytes())))
          .build();
      assertEquals(413, http.send(chunked, HttpResponse.BodyHandlers.ofString()).statusCode());
      OpenAIClient sdk = OpenAiConformanceTest.client(server, null);
      var tooLarge = assertThrows(com.openai.errors.OpenAIServiceException.class, () -> sdk.completions().create(
          OpenAiConformanceTest.completion("a".repeat(5000), 5).build()));
      assertEquals(413, tooLarge.statusCode());
      sdk.close();
    }
  }

  @Test
  void fullQueueIs429WithRetryAfter() throws Exception {
    GenerationConfig endless = GenerationConfig.builder().maxNewTokens(4000).ignoreEos(true).build();
    CountDownLatch running = new CountDownLatch(1);
    GenerationHandle first = gemma.submit(Prompt.text("a"), endless, event -> running.countDown());
    try (GemmaServer server = serve(ServerOptions.builder())) {
      assertTrue(running.await(30, TimeUnit.SECONDS));
      GenerationHandle second = gemma.submit(Prompt.text("b"), endless, event -> {});
      try {
        var full = post(server, "/chat/completions", chatBody("c", 2, false));
        assertEquals(429, full.statusCode(), full.body());
        assertEquals("1", full.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(error(full).get("message").getAsString().contains("queue is full"), full.body());
        {
          OpenAIClient sdk = OpenAiConformanceTest.client(server, null);
          assertThrows(RateLimitException.class, () -> sdk.chat().completions().create(
              ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("c").maxCompletionTokens(2).build()));
          sdk.close();
        }
      } finally {
        second.cancel();
        second.result().get(30, TimeUnit.SECONDS);
      }
    } finally {
      first.cancel();
      first.result().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientThatGoesAwayCancelsItsGeneration() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      HttpRequest request = HttpRequest.newBuilder(server.baseUri().resolve("/v1/chat/completions"))
          .POST(HttpRequest.BodyPublishers.ofString(chatBody("tell me everything", 4000, true))).build();
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, response.statusCode());
      try (InputStream body = response.body()) {
        var reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        for (int events = 0; events < 3; ) {
          String line = reader.readLine();
          if (line != null && line.startsWith("data: ")) {
            events++;
          }
        }
      }
      assertOneCancelled(server, 30);
      assertEquals(0, gemma.engineStats().running(), "the generation was cancelled");
    }
  }

  @Test
  void closingDrainsRequestsInFlightAndRefusesNewOnes() throws Exception {
    GemmaServer server = serve(ServerOptions.builder().drainTimeout(Duration.ofSeconds(60)));
    HttpRequest streamed = HttpRequest.newBuilder(server.baseUri().resolve("/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString(chatBody("a long answer", 1000, true))).build();
    HttpResponse<InputStream> inFlight = http.send(streamed, HttpResponse.BodyHandlers.ofInputStream());
    var reader = new BufferedReader(new InputStreamReader(inFlight.body(), StandardCharsets.UTF_8));
    assertTrue(reader.readLine().startsWith("data: "));
    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    int health = 200;
    while (health == 200 && System.nanoTime() < deadline) {
      health = get(server, "/health").statusCode();
    }
    assertEquals(503, health, "/health says the server is going away");
    var refused = post(server, "/chat/completions", chatBody("new", 2, false));
    assertEquals(503, refused.statusCode());
    {
      OpenAIClient sdk = OpenAiConformanceTest.client(server, null);
      assertThrows(InternalServerException.class, () -> sdk.models().list());
      sdk.close();
    }
    List<String> lines = new ArrayList<>();
    for (String line; (line = reader.readLine()) != null; ) {
      lines.add(line);
    }
    closing.get(60, TimeUnit.SECONDS);
    assertEquals("data: [DONE]", lines.stream().filter(l -> !l.isEmpty()).toList().getLast());
    assertTrue(lines.stream().anyMatch(l -> l.contains("\"finish_reason\":\"length\"")), "the request ran to its end");
  }

  @Test
  void metricsCarryTheGenAiHistograms() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      assertEquals(200, post(server, "/completions", "{\"prompt\":\"Hello\",\"max_tokens\":5,\"ignore_eos\":true}").statusCode());
      var response = get(server, "/metrics");
      assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
      String metrics = response.body();
      String labels = "gen_ai_operation_name=\"text_completion\",gen_ai_request_model=\"" + MODEL + "\",gen_ai_system=\"gemma4j\"";
      for (String histogram : List.of("gen_ai_server_request_duration_seconds", "gen_ai_server_time_to_first_token_seconds",
          "gen_ai_server_time_per_output_token_seconds")) {
        assertTrue(metrics.contains("# TYPE " + histogram + " histogram"), histogram);
        assertTrue(metrics.contains(histogram + "_count{" + labels + "} 1"), metrics);
        assertTrue(metrics.contains(histogram + "_bucket{" + labels + ",le=\"+Inf\"} 1"), metrics);
      }
      assertTrue(metrics.contains("gen_ai_server_request_duration_seconds_bucket{" + labels + ",le=\"81.92\"} 1"));
      assertTrue(metrics.contains("gen_ai_server_time_to_first_token_seconds_bucket{" + labels + ",le=\"0.001\"}"));
      assertTrue(metrics.contains("gen_ai_server_time_per_output_token_seconds_bucket{" + labels + ",le=\"2.5\"} 1"));
      for (String gauge : List.of("gemma_requests_running ", "gemma_requests_waiting ", "gemma_kv_cache_usage_ratio ",
          "gemma_prefix_cache_hits_total ", "gemma_prefix_cache_queries_total ")) {
        assertTrue(metrics.contains("\n" + gauge), gauge);
      }
      assertTrue(metrics.contains("gemma_generation_tokens_total 5"), metrics);
      assertTrue(metrics.contains("gemma_request_success_total{finished_reason=\"length\"} 1"), metrics);
    }
  }

  @Test
  void aBadRequestFailsOnlyItself() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      CompletableFuture<HttpResponse<String>> good = CompletableFuture.supplyAsync(() -> {
        try {
          return post(server, "/completions", "{\"prompt\":\"a\",\"max_tokens\":30,\"ignore_eos\":true}");
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      assertEquals(400, post(server, "/completions", "{\"prompt\":\"a\",\"top_p\":0}").statusCode());
      assertEquals(400, post(server, "/completions", "{\"prompt\":\"a\",\"seed\":1.5}").statusCode());
      var ok = good.get(60, TimeUnit.SECONDS);
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("\"finish_reason\":\"length\""));
      assertTrue(gemma.isOpen());
    }
  }

  @Test
  void samplingValuesOutsideTheirRangesAre400NamingTheField() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      var nan = post(server, "/completions", "{\"prompt\":\"a\",\"max_tokens\":2,\"temperature\": NaN}");
      assertEquals(400, nan.statusCode());
      String nanMessage = error(nan).get("message").getAsString();
      assertTrue(nanMessage.contains("NaN") && nanMessage.contains("$.temperature") && nanMessage.contains("column"),
          nanMessage);
      String[][] cases = {
          {"temperature", "3"}, {"temperature", "-1"}, {"repetition_penalty", "1e-300"},
          {"repetition_penalty", "4.9e-324"}, {"repetition_penalty", "0"}, {"repetition_penalty", "101"}};
      for (String[] c : cases) {
        var response = post(server, "/completions",
            "{\"prompt\":\"a\",\"max_tokens\":2,\"seed\":1,\"" + c[0] + "\":" + c[1] + "}");
        assertEquals(400, response.statusCode(), c[0] + " " + c[1] + ": " + response.body());
        assertEquals(c[0], error(response).get("param").getAsString(), response.body());
        assertTrue(error(response).get("message").getAsString().contains("["), "names the range: " + response.body());
      }
      var tinyTemperature = post(server, "/completions",
          "{\"prompt\":\"a\",\"max_tokens\":3,\"seed\":1,\"temperature\":1e-300}");
      assertEquals(200, tinyTemperature.statusCode(), "underflowing temperatures choose greedily: " + tinyTemperature.body());
      var lowestPenalty = post(server, "/completions",
          "{\"prompt\":\"a\",\"max_tokens\":3,\"seed\":1,\"temperature\":1,\"repetition_penalty\":0.01}");
      assertEquals(200, lowestPenalty.statusCode(), lowestPenalty.body());
    }
  }

  /** OpenAI's usage.prompt_tokens_details.cached_tokens: a repeated prompt's blocks come from the prefix cache. */
  @Test
  void usageCountsThePromptTokensServedFromThePrefixCache() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      StringBuilder ids = new StringBuilder("2");
      for (int i = 0; i < 39; i++) {
        ids.append(',').append(1000 + i * 37);
      }
      String body = "{\"prompt\":[" + ids + "],\"max_tokens\":2}";
      JsonObject first = JsonParser.parseString(post(server, "/completions", body).body()).getAsJsonObject();
      JsonObject again = JsonParser.parseString(post(server, "/completions", body).body()).getAsJsonObject();
      assertEquals(40, again.getAsJsonObject("usage").get("prompt_tokens").getAsInt());
      int cold = first.getAsJsonObject("usage").getAsJsonObject("prompt_tokens_details").get("cached_tokens").getAsInt();
      int warm = again.getAsJsonObject("usage").getAsJsonObject("prompt_tokens_details").get("cached_tokens").getAsInt();
      assertEquals(0, cold, "nothing cached before the first request");
      assertEquals(32, warm, "two whole blocks of 16 of the 40 prompt tokens (the last token is always computed)");
      String stream = post(server, "/completions", body.replace("}", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"))
          .body();
      assertTrue(stream.contains("\"prompt_tokens_details\":{\"cached_tokens\":32}"), stream);
    }
  }

  @Test
  void theModelCardGivesTheVocabularySizeForRemoteClientsToCheckIdsWith() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      JsonObject card = JsonParser.parseString(get(server, "/v1/models").body()).getAsJsonObject()
          .getAsJsonArray("data").get(0).getAsJsonObject();
      assertEquals(gemma.info().config().vocabSize(), card.get("vocab_size").getAsInt());
    }
  }

  /**
   * A replica whose model fails every request (its checkpoint truncated under the mapping) says so on
   * /health, so a load balancer stops sending it traffic; once the file is whole again it is healthy.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120)
  void healthReportsAModelThatFailsEveryRequestAndItsRecovery() throws Exception {
    java.nio.file.Path folder = java.nio.file.Files.createTempDirectory("gemma-health");
    try (var files = java.nio.file.Files.list(BundledModel.path())) {
      for (var file : files.toList()) {
        java.nio.file.Files.copy(file, folder.resolve(file.getFileName()));
      }
    }
    java.nio.file.Path weights = folder.resolve("model.safetensors");
    byte[] whole = java.nio.file.Files.readAllBytes(weights);
    var modified = java.nio.file.Files.getLastModifiedTime(weights);
    try (Gemma model = Gemma.open(folder, GemmaOptions.builder().backend("cpu").build());
        GemmaServer server = GemmaServer.start(model, ServerOptions.builder().port(0).servedModelName(MODEL).build())) {
      assertEquals(200, post(server, "/chat/completions", chatBody("hi", 2, false)).statusCode());
      try (var channel = java.nio.channels.FileChannel.open(weights, java.nio.file.StandardOpenOption.WRITE)) {
        channel.truncate(100);
      }
      for (int i = 0; i < 3; i++) {
        var failed = post(server, "/chat/completions", chatBody("hi", 2, false));
        assertEquals(500, failed.statusCode(), failed.body());
      }
      var unhealthy = get(server, "/health");
      assertEquals(503, unhealthy.statusCode());
      assertTrue(unhealthy.body().contains("truncated or rewritten"), unhealthy.body());
      try (var channel = java.nio.channels.FileChannel.open(weights, java.nio.file.StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(whole), 0);
      }
      java.nio.file.Files.setLastModifiedTime(weights, modified); // the file is back as it was loaded
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int status = 503;
      while (status != 200 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        status = get(server, "/health").statusCode();
      }
      assertEquals(200, status, "a probe that succeeds makes the replica healthy again");
      assertEquals(200, post(server, "/chat/completions", chatBody("hi", 2, false)).statusCode());
    } finally {
      try (var files = java.nio.file.Files.list(folder)) {
        for (var file : files.toList()) {
          java.nio.file.Files.delete(file);
        }
      }
      java.nio.file.Files.delete(folder);
    }
  }

  @Test
  void aModelThatStoppedMakesHealthAndRequests503() throws Exception {
    Gemma stopped = Gemma.open(BundledModel.path(), GemmaOptions.builder().backend("cpu").build());
    try (GemmaServer server = GemmaServer.start(stopped, ServerOptions.builder().port(0).servedModelName(MODEL).build())) {
      assertEquals(200, get(server, "/health").statusCode());
      stopped.close();
      assertEquals(503, get(server, "/health").statusCode());
      var refused = post(server, "/chat/completions", chatBody("hi", 2, false));
      assertEquals(503, refused.statusCode());
      assertEquals("service_unavailable", error(refused).get("code").getAsString());
    }
  }

  @Test
  void aClientThatGivesUpOnAWholeResponseCancelsItsGenerationToo() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      HttpRequest request = HttpRequest.newBuilder(server.baseUri().resolve("/v1/completions"))
          .timeout(Duration.ofMillis(1500))
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a\",\"max_tokens\":6000,\"ignore_eos\":true}"))
          .build();
      assertThrows(java.net.http.HttpTimeoutException.class, () -> http.send(request, HttpResponse.BodyHandlers.ofString()));
      assertOneCancelled(server, 40);
    }
  }

  @Test
  void aLongWholeResponseStillParses() throws Exception {
    try (GemmaServer server = serve(ServerOptions.builder())) {
      // Long enough to pass the server's patience: the body then begins with keep-alive spaces.
      var response = post(server, "/completions", "{\"prompt\":\"a\",\"max_tokens\":1500,\"ignore_eos\":true}");
      assertEquals(200, response.statusCode());
      JsonObject json = JsonParser.parseString(response.body()).getAsJsonObject();
      assertEquals(1500, json.getAsJsonObject("usage").get("completion_tokens").getAsInt());
    }
  }
}
