package dev.gemma4j.examples;

import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.server.GemmaServer;
import dev.gemma4j.server.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Serving and scaling out: a model served over the OpenAI API (what {@code gemma serve} runs), called as
 * curl calls it, then used through the remote engine with the in-process API, as an application uses
 * {@code gemma serve} replicas, vLLM or vllm-ascend.
 */
public final class ServingExample {
  private ServingExample() {}

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) throws Exception {
    try (Gemma model = Gemma.open(ExampleModel.fromArgs(args));
        GemmaServer server = GemmaServer.start(model, ServerOptions.builder().port(0).servedModelName("gemma").build())) {
      // curl http://127.0.0.1:8000/v1/completions -H 'Content-Type: application/json' -d '{...}'
      String body = "{\"model\": \"gemma\", \"prompt\": \"The capital of France is\", \"max_tokens\": 20,"
          + " \"temperature\": 0}";
      HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUri() + "/completions"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      try (HttpClient http = HttpClient.newHttpClient()) {
        String answer = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        System.out.println("http:   " + JsonParser.parseString(answer).getAsJsonObject().getAsJsonArray("choices")
            .get(0).getAsJsonObject().get("text").getAsString());
      }

      // The same API as in process, over one or more servers (least in flight, retries, ejection).
      GemmaOptions remote = GemmaOptions.builder().endpoint(server.baseUri()).build();
      try (Gemma gemma = Gemma.open("gemma", remote)) {
        var generation = gemma.generate(Prompt.text("The capital of France is"),
            GenerationConfig.builder().maxNewTokens(20).build());
        System.out.println("remote: " + generation.text());
      }
    }
  }
}
