package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The remote engine over two real {@code gemma serve} processes: requests balance over both; one is
 * killed mid-run: the stream it was serving fails with a clear error, and requests not yet started go to
 * the other.
 */
class RemoteEngineJarIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static long running(URI base) throws Exception {
    return metric(base, "gemma_requests_running ");
  }

  private static long metric(URI base, String prefix) throws Exception {
    String metrics = HTTP.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines().filter(l -> l.startsWith(prefix)).mapToLong(l -> (long) Double.parseDouble(
        l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** The servers count a request when its generation has ended, a moment after the answer: wait for it. */
  private static long settled(long expected, java.util.concurrent.Callable<Long> read) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long value = read.call();
    while (value != expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
      value = read.call();
    }
    return value;
  }

  @Test
  void balancesOverTwoServersAndSurvivesOneBeingKilled() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject golden = CliRun.firstGoldenCase(fixture);
    String prompt = golden.get("prompt").getAsString();
    String text = golden.get("generated_text").getAsString();
    GenerationConfig twenty = GenerationConfig.builder().maxNewTokens(20).ignoreEos(true).build();
    try (ServeProcess a = new ServeProcess(fixture, "tiny");
        ServeProcess b = new ServeProcess(fixture, "tiny");
        Gemma gemma = Gemma.open("tiny", GemmaOptions.builder().endpoint(a.baseUri).endpoint(b.baseUri).build())) {
      List<GenerationHandle> handles = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        handles.add(gemma.submit(Prompt.text(prompt), twenty, e -> {}));
      }
      for (GenerationHandle h : handles) {
        assertEquals(text, h.await().text());
      }
      String requests = "gen_ai_server_request_duration_seconds_count{gen_ai_operation_name=\"text_completion\"";
      assertEquals(8, settled(8, () -> metric(a.baseUri, requests) + metric(b.baseUri, requests)));
      long onA = metric(a.baseUri, requests);
      long onB = metric(b.baseUri, requests);
      assertTrue(onA >= 2 && onB >= 2, "both servers took requests: " + onA + " and " + onB);

      CountDownLatch streaming = new CountDownLatch(1);
      GenerationHandle endless = gemma.submit(Prompt.text("a"),
          GenerationConfig.builder().maxNewTokens(5000).ignoreEos(true).build(), e -> streaming.countDown());
      assertTrue(streaming.await(60, TimeUnit.SECONDS));
      ServeProcess serving = running(a.baseUri) > 0 ? a : b;
      ServeProcess survivor = serving == a ? b : a;
      serving.kill();

      GemmaException lost = assertThrows(GemmaException.class, endless::await);
      assertTrue(lost.getMessage().contains("was lost after") && lost.getMessage().contains(serving.baseUri.toString())
          && lost.getMessage().contains("submit the request again"), lost.getMessage());

      long before = metric(survivor.baseUri, requests);
      for (int i = 0; i < 4; i++) {
        assertEquals(text, gemma.generate(Prompt.text(prompt), twenty).text());
      }
      assertEquals(before + 4, settled(before + 4, () -> metric(survivor.baseUri, requests)),
          "every later request went to the survivor");
    }
  }
}
