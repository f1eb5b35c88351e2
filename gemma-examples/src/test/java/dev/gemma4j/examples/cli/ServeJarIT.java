package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code gemma serve} from the packaged jar: the reference text over HTTP, and SIGTERM drains. */
class ServeJarIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpRequest completion(URI base, String prompt, int maxTokens, boolean stream) {
    String body = "{\"model\":\"tiny\",\"prompt\":" + new JsonPrimitive(prompt)
        + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":" + stream + "}";
    return HttpRequest.newBuilder(URI.create(base + "/completions"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build();
  }

  @Test
  void servesTheReferenceTextAndDrainsOnSigterm() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject golden = CliRun.firstGoldenCase(fixture);
    try (ServeProcess serve = new ServeProcess(fixture, "tiny")) {
      var whole = HTTP.send(completion(serve.baseUri, golden.get("prompt").getAsString(), 20, false),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, whole.statusCode(), whole.body());
      JsonObject choice = JsonParser.parseString(whole.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
          .getAsJsonObject();
      assertEquals(golden.get("generated_text").getAsString(), choice.get("text").getAsString());

      HttpResponse<InputStream> streamed = HTTP.send(completion(serve.baseUri, "a long answer", 300, true),
          HttpResponse.BodyHandlers.ofInputStream());
      var reader = new BufferedReader(new InputStreamReader(streamed.body(), StandardCharsets.UTF_8));
      assertTrue(reader.readLine().startsWith("data: "));
      int status = serve.terminate();
      List<String> lines = new ArrayList<>();
      for (String line; (line = reader.readLine()) != null; ) {
        if (!line.isEmpty()) {
          lines.add(line);
        }
      }
      assertEquals("data: [DONE]", lines.getLast(), "the request in flight finished before the exit");
      assertTrue(lines.stream().anyMatch(l -> l.contains("\"finish_reason\":\"length\"")), String.join("\n", lines));
      assertEquals(143, status, "SIGTERM ends the process (128 + 15) after the drain: " + serve.stderr());
      assertFalse(serve.stderr().contains("a long answer"), "prompts are not logged");
    }
  }
}
