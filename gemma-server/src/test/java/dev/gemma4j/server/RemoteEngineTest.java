package dev.gemma4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gemma4j.ChatMessage;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.QueueFullException;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.engine.RemoteOptions;
import dev.gemma4j.testkit.BundledModel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The remote engine: {@code Gemma.open} with endpoints gives the in-process API over gemma serve, with
 * the reference goldens; retries, timeouts, cancellation and errors against servers that misbehave.
 */
class RemoteEngineTest {
  static final String MODEL = "tiny-gemma";
  static final ReferenceGoldens GOLDEN = ReferenceGoldens.load();
  static final List<Integer> GOLDEN_IDS = List.of(208941, 208941, 208941, 240385, 235124, 3057, 3057, 237682, 251181,
      80724, 64901, 91765, 164606, 218736, 254527, 103591, 200801, 182864, 144562, 87822);
  static Gemma local;
  static GemmaServer server;

  @BeforeAll
  static void serve() {
    local = Gemma.open(BundledModel.path(), GemmaOptions.builder().backend("cpu").build());
    server = GemmaServer.start(local, ServerOptions.builder().port(0).servedModelName(MODEL).apiKey("k").build());
  }

  @AfterAll
  static void stop() {
    server.close();
    local.close();
  }

  static GemmaOptions.Builder remote(URI... endpoints) {
    return GemmaOptions.builder().endpoints(List.of(endpoints)).apiKey("k");
  }

  static GenerationConfig twenty() {
    return GenerationConfig.builder().maxNewTokens(20).ignoreEos(true).build();
  }

  @Test
  void generatesTheReferenceTokensAndTextThroughTheServer() {
    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      assertEquals("remote", gemma.backendName());
      Generation g = gemma.generate(Prompt.text(GOLDEN.prompt()), twenty());
      assertEquals(GOLDEN.completionText(), g.text());
      assertEquals(GOLDEN_IDS, g.tokenIds());
      assertEquals(GOLDEN.completionPromptTokens(), g.promptIds().size());
      assertEquals(FinishReason.LENGTH, g.finishReason());
      assertEquals(20, g.stats().generatedTokens());
      assertEquals(GOLDEN.completionPromptTokens(), g.stats().promptTokens());
      assertTrue(g.stats().timeToFirstToken().compareTo(g.stats().totalTime()) <= 0);

      Generation chat = gemma.chat(List.of(ChatMessage.user(GOLDEN.prompt())), twenty());
      assertEquals(GOLDEN.chatText(), chat.text());
      assertEquals(GOLDEN.chatPromptTokens(), chat.stats().promptTokens());

      int[] ids = g.promptIds().stream().mapToInt(Integer::intValue).toArray();
      assertEquals(GOLDEN_IDS, gemma.generator().generate(ids, twenty()).tokenIds());
    }
  }

  @Test
  void streamsAndPublishesTheSameTokens() throws Exception {
    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      List<TokenEvent> events = new CopyOnWriteArrayList<>();
      Generation g = gemma.stream(Prompt.text(GOLDEN.prompt()), twenty(), events::add).await();
      assertEquals(GOLDEN_IDS, events.stream().map(TokenEvent::id).toList());
      assertEquals(GOLDEN.completionText(), events.stream().map(TokenEvent::text).collect(Collectors.joining()));
      assertEquals(g.text(), GOLDEN.completionText());
      try (var stream = gemma.stream(Prompt.text(GOLDEN.prompt()), twenty())) {
        assertEquals(GOLDEN.completionText(), stream.events().map(TokenEvent::text).collect(Collectors.joining()));
      }
    }
  }

  @Test
  void stopStringsAndSamplingReachTheServer() {
    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      var stop = twenty().toBuilder().stopStrings(List.of("box")).build();
      Generation g = gemma.generate(Prompt.text(GOLDEN.prompt()), stop);
      assertEquals(GOLDEN.completionText().substring(0, GOLDEN.completionText().indexOf("box")), g.text());
      // OpenAI's "stop" covers both; vLLM's stop_reason tells them apart, gemma serve does not send it.
      assertTrue(Set.of(FinishReason.STOP_STRING, FinishReason.STOP_TOKEN).contains(g.finishReason()));
      // vLLM's include_stop_str_in_output: the text ends with the stop string, through the server and in process.
      var including = stop.toBuilder().includeStopString(true).build();
      String expected = GOLDEN.completionText().substring(0, GOLDEN.completionText().indexOf("box") + 3);
      assertEquals(expected, gemma.generate(Prompt.text(GOLDEN.prompt()), including).text());
      assertEquals(expected, local.generate(Prompt.text(GOLDEN.prompt()), including).text());
      var sampled = twenty().toBuilder().temperature(0.8).topK(40).topP(0.9).seed(7).build();
      assertEquals(
          local.generate(Prompt.text(GOLDEN.prompt()), sampled).tokenIds(),
          gemma.generate(Prompt.text(GOLDEN.prompt()), sampled).tokenIds(),
          "the same seed gives the same tokens remotely and in process");
    }
  }

  @Test
  void cancellingClosesTheConnectionAndStopsTheServersGeneration() throws Exception {
    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      CountDownLatch started = new CountDownLatch(3);
      var handle = gemma.submit(Prompt.text("a"), GenerationConfig.builder().maxNewTokens(5000).ignoreEos(true).build(),
          e -> started.countDown());
      assertTrue(started.await(30, TimeUnit.SECONDS));
      handle.cancel();
      Generation g = handle.await();
      assertEquals(FinishReason.CANCELLED, g.finishReason());
      assertTrue(g.tokenIds().size() >= 3 && g.tokenIds().size() < 5000);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (local.engineStats().running() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, local.engineStats().running(), "the server stopped generating");

      Generation timedOut = gemma.generate(Prompt.text("a"),
          GenerationConfig.builder().maxNewTokens(5000).ignoreEos(true).timeout(Duration.ofMillis(300)).build());
      assertEquals(FinishReason.TIMEOUT, timedOut.finishReason());
    }
  }

  @Test
  void openChecksTheModelAndTheKey() {
    var wrongModel = assertThrows(GemmaException.class, () -> Gemma.open("gpt-4o", remote(server.baseUri()).build()));
    assertTrue(wrongModel.getMessage().contains("serves [" + MODEL + "]"), wrongModel.getMessage());
    var wrongKey = assertThrows(GemmaException.class,
        () -> Gemma.open(MODEL, remote(server.baseUri()).apiKey("nope").build()));
    assertTrue(wrongKey.getMessage().contains("apiKey"), wrongKey.getMessage());
    var nobody = assertThrows(GemmaException.class,
        () -> Gemma.open(MODEL, remote(URI.create("http://127.0.0.1:1/v1")).build()));
    assertTrue(nobody.getMessage().contains("no server"), nobody.getMessage());
    assertFalse(remote(server.baseUri()).build().toString().contains("=k,"), "the key is not printed");
  }

  @Test
  void badRequestsFailWithTheServersMessageAndUnsupportedOptionsUpFront() {
    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      var tooLong = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.ids(new int[9000]), twenty()));
      assertTrue(tooLong.getMessage().contains("HTTP 400") && tooLong.getMessage().contains("context"),
          tooLong.getMessage());
      var topLogits = assertThrows(GemmaException.class,
          () -> gemma.generate(Prompt.text("a"), twenty().toBuilder().topLogits(3).build()));
      assertTrue(topLogits.getMessage().contains("top logits"), topLogits.getMessage());
      assertThrows(GemmaException.class, () -> gemma.encode(Prompt.text("a")), "no tokenizer here");
    }
  }

  static java.net.http.HttpResponse<String> post(URI uri, String body, String key) throws Exception {
    var request = java.net.http.HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return java.net.http.HttpClient.newHttpClient().send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  /** The first choice of a greedy completion of the golden prompt with the given extra fields. */
  private static com.google.gson.JsonObject greedyCompletion(int maxTokens, String extraFields) throws Exception {
    String body = "{\"model\":\"" + MODEL + "\",\"prompt\":" + new com.google.gson.JsonPrimitive(GOLDEN.prompt())
        + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"ignore_eos\":true,\"return_token_ids\":true,"
        + extraFields + "}";
    var response = post(URI.create(server.baseUri() + "/completions"), body, "k");
    assertEquals(200, response.statusCode(), response.body());
    return com.google.gson.JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("choices")
        .get(0).getAsJsonObject();
  }

  /** A completion request the server answers with a 400 naming {@code field}. */
  private static void assertRefusedNaming(String body, String field) throws Exception {
    var refused = post(URI.create(server.baseUri() + "/completions"), body, "k");
    assertEquals(400, refused.statusCode());
    assertTrue(refused.body().contains(field), refused.body());
  }

  private static List<Integer> tokenIds(com.google.gson.JsonObject choice) {
    List<Integer> ids = new ArrayList<>();
    choice.getAsJsonArray("token_ids").forEach(e -> ids.add(e.getAsInt()));
    return ids;
  }

  /**
   * vLLM's {@code stop_token_ids}: the generation ends after the first of them, which is part of the output.
   * gemma serve used to ignore the field, so a remote engine's stop ids did nothing over it.
   */
  @Test
  void stopTokenIdsEndTheGenerationOnTheServerAndThroughTheRemoteEngine() throws Exception {
    int stop = GOLDEN_IDS.get(3);
    var choice = greedyCompletion(20, "\"stop_token_ids\":[" + stop + "]");
    assertEquals("stop", choice.get("finish_reason").getAsString());
    assertEquals(GOLDEN_IDS.subList(0, 4), tokenIds(choice));

    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      Generation g = gemma.generate(Prompt.text(GOLDEN.prompt()),
          twenty().toBuilder().stopTokenIds(Set.of(stop)).build());
      assertEquals(GOLDEN_IDS.subList(0, 4), g.tokenIds());
      assertEquals(FinishReason.STOP_TOKEN, g.finishReason());
    }
    assertRefusedNaming("{\"prompt\":\"a\",\"stop_token_ids\":[1.5]}", "stop_token_ids");
  }

  /**
   * vLLM's {@code min_tokens}: until that many tokens, the stop ids cannot be chosen (the model takes its next
   * best) and stop strings do not end the text; over HTTP and through the remote engine.
   */
  @Test
  void minTokensHoldsTheStopIdsBackUntilThatManyTokens() throws Exception {
    int stop = GOLDEN_IDS.get(3);
    List<Integer> ids = tokenIds(greedyCompletion(12, "\"stop_token_ids\":[" + stop + "],\"min_tokens\":6"));
    assertTrue(ids.size() >= 6, "at least min_tokens: " + ids);
    assertEquals(GOLDEN_IDS.subList(0, 3), ids.subList(0, 3), "the same tokens before the stop id's turn");
    assertTrue(!ids.subList(0, 6).contains(stop), "the stop id is held back until 6 tokens: " + ids);

    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri()).build())) {
      Generation g = gemma.generate(Prompt.text(GOLDEN.prompt()),
          twenty().toBuilder().maxNewTokens(12).stopTokenIds(Set.of(stop)).minNewTokens(6).build());
      assertEquals(ids, g.tokenIds(), "the remote engine sends min_tokens");
    }
    assertRefusedNaming("{\"prompt\":\"a\",\"max_tokens\":4,\"min_tokens\":5}", "min_tokens");
  }

  /** vLLM's /tokenize and /detokenize: the ids the model runs, behind the key like /v1. */
  @Test
  void tokenizeAndDetokenizeAnswerAsVllmDoes() throws Exception {
    URI base = server.baseUri().resolve("/");
    String prompt = new com.google.gson.JsonPrimitive(GOLDEN.prompt()).toString();
    assertEquals(401, post(base.resolve("tokenize"), "{\"prompt\":" + prompt + "}", null).statusCode());

    var text = post(base.resolve("tokenize"), "{\"model\":\"" + MODEL + "\",\"prompt\":" + prompt + "}", "k");
    assertEquals(200, text.statusCode(), text.body());
    var json = com.google.gson.JsonParser.parseString(text.body()).getAsJsonObject();
    int[] expected = local.encode(Prompt.text(GOLDEN.prompt()));
    assertEquals(expected.length, json.get("count").getAsInt());
    assertEquals(java.util.Arrays.stream(expected).boxed().toList(),
        json.getAsJsonArray("tokens").asList().stream().map(e -> e.getAsInt()).toList());
    assertEquals(GOLDEN.completionPromptTokens(), json.get("count").getAsInt(), "what the completion counts");

    var chat = post(base.resolve("tokenize"),
        "{\"messages\":[{\"role\":\"user\",\"content\":" + prompt + "}]}", "k");
    assertEquals(GOLDEN.chatPromptTokens(),
        com.google.gson.JsonParser.parseString(chat.body()).getAsJsonObject().get("count").getAsInt(), chat.body());

    var plain = post(base.resolve("tokenize"), "{\"prompt\":" + prompt + ",\"add_special_tokens\":false}", "k");
    var tokens = com.google.gson.JsonParser.parseString(plain.body()).getAsJsonObject().getAsJsonArray("tokens");
    assertEquals(expected.length - 1, tokens.size(), "no BOS");
    var back = post(base.resolve("detokenize"), "{\"tokens\":" + tokens + "}", "k");
    assertEquals(GOLDEN.prompt(), com.google.gson.JsonParser.parseString(back.body()).getAsJsonObject().get("prompt").getAsString());

    var outside = post(base.resolve("detokenize"), "{\"tokens\":[999999]}", "k");
    assertEquals(400, outside.statusCode());
    assertTrue(outside.body().contains("outside the vocabulary"), outside.body());
  }

  // ---- servers that misbehave, in front of the real one ----

  /** A server of our own: answers each request with the next scripted behaviour, then proxies to gemma serve. */
  static final class Flaky implements AutoCloseable {
    interface Behaviour {
      /** True when it answered; false to pass the request on to the real server. */
      boolean answer(HttpExchange exchange) throws IOException;
    }

    final HttpServer http;
    final List<Behaviour> script = new CopyOnWriteArrayList<>();
    final AtomicInteger generations = new AtomicInteger();

    Flaky() throws IOException {
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext("/", this::handle);
      http.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/v1");
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        if (!path.endsWith("/models")) {
          generations.incrementAndGet();
          if (!script.isEmpty() && script.removeFirst().answer(exchange)) {
            return;
          }
        }
        proxy(exchange, path.substring(3));
      }
    }

    private static void proxy(HttpExchange exchange, String path) throws IOException {
      var client = java.net.http.HttpClient.newHttpClient();
      var builder = java.net.http.HttpRequest.newBuilder(URI.create(server.baseUri() + path))
          .header("Authorization", "Bearer k");
      byte[] body = exchange.getRequestBody().readAllBytes();
      builder.method(exchange.getRequestMethod(), body.length == 0
          ? java.net.http.HttpRequest.BodyPublishers.noBody() : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
      try {
        var response = client.send(builder.build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        exchange.sendResponseHeaders(response.statusCode(), 0);
        try (var in = response.body(); var out = exchange.getResponseBody()) {
          byte[] buffer = new byte[256];
          for (int n; (n = in.read(buffer)) > 0; ) {
            out.write(buffer, 0, n);
            out.flush();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    static Behaviour status(int status, String retryAfter) {
      return exchange -> {
        if (retryAfter != null) {
          exchange.getResponseHeaders().set("Retry-After", retryAfter);
        }
        byte[] body = ("{\"error\":{\"message\":\"scripted " + status + "\",\"type\":\"x\"}}").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        return true;
      };
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }

  @Test
  void retriesBeforeTheFirstByteHonouringRetryAfter() throws Exception {
    try (Flaky flaky = new Flaky(); Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).build())) {
      flaky.script.add(Flaky.status(429, "1"));
      flaky.script.add(Flaky.status(503, null));
      long start = System.nanoTime();
      Generation g = gemma.generate(Prompt.text(GOLDEN.prompt()), twenty());
      assertEquals(GOLDEN.completionText(), g.text());
      assertEquals(3, flaky.generations.get(), "two refusals, then the answer");
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(950), "Retry-After: 1 was honoured");

      flaky.script.add(Flaky.status(400, null));
      var refused = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
      assertTrue(refused.getMessage().contains("HTTP 400: scripted 400"), refused.getMessage());
    }
    try (Flaky flaky = new Flaky();
        Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).remote(RemoteOptions.defaults().withMaxRetries(1)).build())) {
      flaky.script.add(Flaky.status(429, "0"));
      flaky.script.add(Flaky.status(429, "0"));
      assertThrows(QueueFullException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
    }
  }

  @Test
  void aStreamThatBreaksIsNotRetriedAndSaysSo() throws Exception {
    try (Flaky flaky = new Flaky(); Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).build())) {
      flaky.script.add(exchange -> {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().write(
            "data: {\"choices\":[{\"index\":0,\"text\":\"Hi\",\"token_ids\":[5],\"finish_reason\":null}]}\n\n"
                .getBytes(StandardCharsets.UTF_8));
        exchange.getResponseBody().flush();
        exchange.getHttpContext().getServer().stop(0); // the server dies mid-stream
        return true;
      });
      var lost = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
      assertTrue(lost.getMessage().contains("was lost after 1 generated tokens")
          || lost.getMessage().contains("ended after 1 generated tokens"), lost.getMessage());
      assertEquals(1, flaky.generations.get(), "not retried once the answer had begun");
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOutAtTheFirstToken() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    var options = RemoteOptions.defaults().withFirstTokenTimeout(Duration.ofMillis(500)).withMaxRetries(0);
    try (Flaky flaky = new Flaky();
        AutoCloseable unblock = release::countDown; // before the server stops, which waits for its handler
        Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).remote(options).build())) {
      flaky.script.add(exchange -> {
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().flush();
        try {
          release.await(30, TimeUnit.SECONDS); // headers, then nothing
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      });
      var slow = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
      assertTrue(slow.getMessage().contains("no token came from the server within"), slow.getMessage());
      flaky.script.add(exchange -> {
        try {
          release.await(30, TimeUnit.SECONDS); // not even the headers
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      });
      var silent = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
      assertTrue(silent.getMessage().contains("no token came from the server within"), silent.getMessage());
    }
  }

  @Test
  void balancesOverTwoServersAndSkipsOneThatIsDown() throws Exception {
    GemmaServer second = GemmaServer.start(local, ServerOptions.builder().port(0).servedModelName(MODEL).apiKey("k").build());
    URI down;
    try (var socket = new java.net.ServerSocket(0)) {
      down = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/v1");
    }
    try (Gemma gemma = Gemma.open(MODEL, remote(server.baseUri(), second.baseUri(), down).build())) {
      var handles = new ArrayList<dev.gemma4j.GenerationHandle>();
      for (int i = 0; i < 6; i++) {
        handles.add(gemma.submit(Prompt.text(GOLDEN.prompt()), twenty(), e -> {}));
      }
      for (var h : handles) {
        assertEquals(GOLDEN.completionText(), h.await().text());
      }
      long onSecond = completions(get(second.baseUri().resolve("/metrics")));
      assertTrue(onSecond >= 2 && onSecond <= 4, "the second server took " + onSecond + " of 6 requests");
    } finally {
      second.close();
    }
  }

  /** Sends the headers of an event stream; then each call of the returned writer one line and a flush. */
  static java.util.function.Consumer<String> eventStream(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.sendResponseHeaders(200, 0);
    var out = exchange.getResponseBody();
    return line -> {
      try {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  static String tokenEvent(String text, String ids) {
    return "data: {\"choices\":[{\"index\":0,\"text\":\"" + text + "\",\"token_ids\":" + ids
        + ",\"finish_reason\":null}]}\n";
  }

  @Test
  void aServerThatIgnoresMaxTokensIsCutAtTheLimit() throws Exception {
    var stoppedAfter = new java.util.concurrent.CompletableFuture<Integer>();
    try (Flaky flaky = new Flaky(); Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).build())) {
      flaky.script.add(exchange -> {
        var events = eventStream(exchange);
        int sent = 0;
        try {
          for (; sent < 100_000; sent++) {
            events.accept(tokenEvent("a", "[" + (5 + sent % 100) + "]"));
          }
        } catch (java.io.UncheckedIOException e) {
          // the client closed the stream
        }
        stoppedAfter.complete(sent);
        return true;
      });
      Generation g = gemma.generate(Prompt.text("a"), GenerationConfig.builder().maxNewTokens(5).ignoreEos(true).build());
      assertEquals(FinishReason.LENGTH, g.finishReason());
      assertEquals(List.of(5, 6, 7, 8, 9), g.tokenIds());
      assertEquals("aaaaa", g.text());
      int sent = stoppedAfter.get(30, TimeUnit.SECONDS);
      assertTrue(sent < 100_000, "the connection was closed, so the server stopped writing (after " + sent + ")");
    }
  }

  @Test
  void tokenIdsThatAreNotIntegersInTheVocabularyAreRefused() throws Exception {
    try (Flaky flaky = new Flaky(); Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).build())) {
      for (String ids : new String[] {"[-5]", "[99999999]", "[1.5]", "[256000]"}) {
        flaky.script.add(exchange -> {
          eventStream(exchange).accept(tokenEvent("a", ids));
          return true;
        });
        var e = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
        assertTrue(e.getMessage().contains("not an integer in the vocabulary [0, 256000)")
            && e.getMessage().contains(ids.substring(1, ids.length() - 1)), ids + ": " + e.getMessage());
      }
    }
  }

  @Test
  void aServerThatStallsAfterItsFirstTokenIsGivenUpAtTheIdleTimeout() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    var options = RemoteOptions.defaults().withIdleTimeout(Duration.ofMillis(600)).withMaxRetries(0);
    try (Flaky flaky = new Flaky();
        AutoCloseable unblock = release::countDown;
        Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).remote(options).build())) {
      flaky.script.add(exchange -> {
        var events = eventStream(exchange);
        events.accept(tokenEvent("a", "[5]"));
        try {
          while (!release.await(100, TimeUnit.MILLISECONDS)) {
            events.accept(": keep-alive"); // bytes, but never another token
          }
        } catch (InterruptedException | java.io.UncheckedIOException e) {
          // released, or the client went away
        }
        return true;
      });
      long start = System.nanoTime();
      var stalled = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
      assertTrue(stalled.getMessage().contains("the server stalled") && stalled.getMessage().contains("after 1 generated"),
          stalled.getMessage());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "ended by the idle timeout");
    }
  }

  @Test
  void anInvalidEventSaysWhereAndWhat() throws Exception {
    try (Flaky flaky = new Flaky(); Gemma gemma = Gemma.open(MODEL, remote(flaky.uri()).build())) {
      flaky.script.add(exchange -> {
        eventStream(exchange).accept("data: {\"choices\": NaN}\n");
        return true;
      });
      var e = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.text("a"), twenty()));
      assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("NaN")
          && e.getMessage().contains("$.choices"), e.getMessage());
    }
  }

  /** A server whose model list never ends, or never comes: open fails in bounded memory and time. */
  @Test
  void aModelListThatNeverEndsOrNeverComesFailsOpen() throws Exception {
    HttpServer endless = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    endless.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, 0);
      byte[] chunk = new byte[1 << 16];
      try (var out = exchange.getResponseBody()) {
        for (int i = 0; i < 1 << 14; i++) { // up to 1 GiB, far past the bound
          out.write(chunk);
        }
      } catch (IOException expected) {
        // the client stopped reading
      }
    });
    endless.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    endless.start();
    CountDownLatch release = new CountDownLatch(1);
    HttpServer stalled = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    stalled.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, 0);
      exchange.getResponseBody().write('{');
      exchange.getResponseBody().flush();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    stalled.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    stalled.start();
    try {
      var huge = assertThrows(GemmaException.class, () -> Gemma.open(MODEL,
          GemmaOptions.builder().endpoint(URI.create("http://127.0.0.1:" + endless.getAddress().getPort() + "/v1")).build()));
      assertTrue(huge.getMessage().contains("larger than 4 MiB"), huge.getMessage());
      var options = GemmaOptions.builder().endpoint(URI.create("http://127.0.0.1:" + stalled.getAddress().getPort() + "/v1"))
          .remote(RemoteOptions.defaults().withConnectTimeout(Duration.ofMillis(500))).build();
      long start = System.nanoTime();
      var silent = assertThrows(GemmaException.class, () -> Gemma.open(MODEL, options));
      assertTrue(silent.getMessage().contains("no server"), silent.getMessage());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "bounded by the connect timeout");
    } finally {
      release.countDown();
      endless.stop(0);
      stalled.stop(0);
    }
  }

  static String get(URI uri) throws Exception {
    return java.net.http.HttpClient.newHttpClient()
        .send(java.net.http.HttpRequest.newBuilder(uri).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Text completions the server finished, from its metrics. */
  static long completions(String metrics) {
    return metrics.lines()
        .filter(l -> l.startsWith("gen_ai_server_request_duration_seconds_count{gen_ai_operation_name=\"text_completion\""))
        .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
