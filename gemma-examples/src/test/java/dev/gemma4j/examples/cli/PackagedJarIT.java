package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged {@code gemma.jar}, run in its own JVM exactly as the README shows. */
class PackagedJarIT {

  private record Result(int status, String out, String err) {}

  private static Result java(String... args) throws IOException, InterruptedException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(javaBin, "-jar", System.getProperty("gemma.jar")));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gemma.jar did not finish");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void generatesTheGoldenTextFromTheJar() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject first =
        JsonParser.parseString(Files.readString(fixture.resolve("golden.json")))
            .getAsJsonObject().getAsJsonArray("cases").get(0).getAsJsonObject();
    Result r =
        java("generate", "--model", fixture.toString(), "--prompt", first.get("prompt").getAsString(),
            "--max-new-tokens", "20", "--ignore-eos", "--json");
    assertEquals(0, r.status(), r.err());
    JsonObject out = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(first.getAsJsonArray("greedy_new_ids"), out.getAsJsonArray("ids"));
    assertEquals(first.get("generated_text").getAsString(), out.get("text").getAsString());
    assertTrue(!r.err().contains("restricted method"), "native access is enabled by the manifest: " + r.err());
  }

  @Test
  void listsBackendsAndFailsCleanly() throws Exception {
    Result backends = java("backends");
    assertEquals(0, backends.status(), backends.err());
    assertTrue(backends.out().contains("cpu") && backends.out().contains("available"), backends.out());
    Result bad = java("generate", "--model", "/nonexistent/model", "--prompt", "x");
    assertEquals(1, bad.status());
    assertTrue(bad.err().startsWith("error: "), bad.err());
  }
}
