package dev.gemma4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gemma4j.testing.TestFixtures;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Gemma 3 model served by {@code gemma serve}: completions, chat (Gemma 3's template, system turn folded
 * in) and the remote engine give HF transformers' ids and text for {@code tiny-gemma3-tok}.
 */
class Gemma3ServingTest {
  static final String MODEL = "tiny-gemma3";
  static JsonObject golden;
  static Gemma local;
  static GemmaServer server;

  @BeforeAll
  static void serve() throws IOException {
    golden = JsonParser.parseString(Files.readString(TestFixtures.path("tiny-gemma3-tok").resolve("golden.json")))
        .getAsJsonObject();
    local = Gemma.open(TestFixtures.path("tiny-gemma3-tok"), GemmaOptions.builder().backend("cpu").build());
    server = GemmaServer.start(local, ServerOptions.builder().port(0).servedModelName(MODEL).build());
  }

  @AfterAll
  static void stop() {
    server.close();
    local.close();
  }

  private static JsonObject firstCase() {
    return golden.getAsJsonArray("cases").get(0).getAsJsonObject();
  }

  private static List<Integer> ints(JsonArray a) {
    return StreamSupport.stream(a.spliterator(), false).map(e -> e.getAsInt()).toList();
  }

  private static JsonObject post(String path, String body) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(server.baseUri() + path)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JsonParser.parseString(response.body()).getAsJsonObject();
  }

  @Test
  void completionsGiveTheReferenceText() throws Exception {
    JsonObject c = firstCase();
    JsonObject body = new JsonObject();
    body.addProperty("model", MODEL);
    body.addProperty("prompt", c.get("prompt").getAsString());
    body.addProperty("max_tokens", c.getAsJsonArray("greedy_new_ids").size());
    body.addProperty("temperature", 0);
    JsonObject answer = post("/completions", body.toString());
    assertEquals(c.get("generated_text").getAsString(),
        answer.getAsJsonArray("choices").get(0).getAsJsonObject().get("text").getAsString());
    assertEquals(c.getAsJsonArray("input_ids").size(), answer.getAsJsonObject("usage").get("prompt_tokens").getAsInt());
  }

  @Test
  void chatRendersGemma3sTemplateWithTheSystemTurnFoldedIn() throws Exception {
    JsonObject chat = golden.getAsJsonArray("chat_cases").get(1).getAsJsonObject();
    JsonObject body = new JsonObject();
    body.addProperty("model", MODEL);
    body.add("messages", chat.getAsJsonArray("messages"));
    body.addProperty("max_tokens", 1);
    JsonObject answer = post("/chat/completions", body.toString());
    assertEquals(chat.getAsJsonArray("ids").size(), answer.getAsJsonObject("usage").get("prompt_tokens").getAsInt());
  }

  @Test
  void theRemoteEngineGivesTheReferenceIds() {
    JsonObject c = firstCase();
    try (Gemma remote = Gemma.open(MODEL, GemmaOptions.builder().endpoints(List.of(server.baseUri())).build())) {
      GenerationConfig config =
          GenerationConfig.builder().maxNewTokens(c.getAsJsonArray("greedy_new_ids").size()).ignoreEos(true).build();
      Generation g = remote.generate(Prompt.text(c.get("prompt").getAsString()), config);
      assertEquals(ints(c.getAsJsonArray("greedy_new_ids")), g.tokenIds());
      assertEquals(c.get("generated_text").getAsString(), g.text());
    }
  }
}
