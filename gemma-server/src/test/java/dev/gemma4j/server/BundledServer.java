package dev.gemma4j.server;

import com.openai.client.OpenAIClient;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.testkit.BundledModel;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The bundled model behind gemma serve, with an OpenAI SDK client and plain HTTP: a conformance test's setup. */
final class BundledServer implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  final Gemma gemma;
  final GemmaServer server;
  final OpenAIClient client;

  private BundledServer(Gemma gemma, GemmaServer server, OpenAIClient client) {
    this.gemma = gemma;
    this.server = server;
    this.client = client;
  }

  static BundledServer start() {
    Gemma gemma = Gemma.open(BundledModel.path(), GemmaOptions.builder().backend("cpu").build());
    GemmaServer server = GemmaServer.start(gemma,
        ServerOptions.builder().port(0).servedModelName(OpenAiConformanceTest.MODEL).build());
    return new BundledServer(gemma, server, OpenAiConformanceTest.client(server, null));
  }

  /** POSTs a JSON body to a path of the server, such as {@code /v1/chat/completions}. */
  HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(server.baseUri().resolve(path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    client.close();
    server.close();
    gemma.close();
  }
}
