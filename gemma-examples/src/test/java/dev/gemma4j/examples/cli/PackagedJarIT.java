package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.LocalHub;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged {@code gemma.jar}, run in its own JVM exactly as the README shows. */
class PackagedJarIT {

  private record Result(int status, String out, String err) {}

  private static Result java(String... args) throws IOException, InterruptedException {
    return java(Map.of(), args);
  }

  private static Result java(Map<String, String> env, String... args) throws IOException, InterruptedException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(javaBin, "-jar", System.getProperty("gemma.jar")));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(
        k -> k.startsWith("HF_") || k.startsWith("MODELSCOPE") || k.startsWith("GEMMA_") || k.startsWith("ASCEND_"));
    builder.environment().putAll(env);
    Process p = builder.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gemma.jar did not finish");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void generatesTheGoldenTextFromTheJar() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject first = CliRun.firstGoldenCase(fixture);
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
  void downloadsAModelIdFromTheHubThenRunsOfflineFromTheCache(@TempDir Path cache) throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject first = CliRun.firstGoldenCase(fixture);
    String[] args = {
      "generate", "--model", "google/tiny-gemma2-tok", "--prompt", first.get("prompt").getAsString(),
      "--max-new-tokens", "20", "--ignore-eos"
    };
    try (LocalHub hub = new LocalHub()) {
      hub.add("google/tiny-gemma2-tok", "89abcdef0123456789abcdef0123456789abcdef", fixture, "hf_test_token");
      Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint().toString(), "HF_HUB_CACHE", cache.toString());

      Result gated = java(env, args);
      assertEquals(1, gated.status());
      assertTrue(gated.err().contains("gated") && gated.err().contains("HF_TOKEN"), gated.err());

      Map<String, String> withToken = new java.util.HashMap<>(env);
      withToken.put("HF_TOKEN", "hf_test_token");
      Result downloaded = java(withToken, args);
      assertEquals(0, downloaded.status(), downloaded.err());
      assertEquals(first.get("generated_text").getAsString(), downloaded.out().strip());
    }
    Result offline = java(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"), args);
    assertEquals(0, offline.status(), offline.err());
    assertEquals(first.get("generated_text").getAsString(), offline.out().strip());
  }

  @Test
  void generatesTheGoldenTextOnTheNpuBackendOverTheAscendEmulator() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject first = CliRun.firstGoldenCase(fixture);
    String emulator = System.getProperty("ascend.emulator");
    Map<String, String> env = Map.of("ASCEND_HOME_PATH", emulator, "ASCEND_OPP_PATH", emulator + "/opp");
    Result backends = java(env, "backends");
    assertTrue(backends.out().contains("npu  rank 1   available"), backends.out());
    Result r =
        java(env, "generate", "--backend", "npu", "--dtype", "f32", "--model", fixture.toString(), "--prompt",
            first.get("prompt").getAsString(), "--max-new-tokens", "20", "--ignore-eos", "--json");
    assertEquals(0, r.status(), r.err());
    JsonObject out = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(first.getAsJsonArray("greedy_new_ids"), out.getAsJsonArray("ids"));
    assertEquals(first.get("generated_text").getAsString(), out.get("text").getAsString());

    Result bench = java(env, "bench", "--backend", "npu", "--model", fixture.toString(), "--concurrency", "1,8",
        "--prompt-tokens", "4", "--new-tokens", "6", "--json");
    assertEquals(0, bench.status(), bench.err());
    String lastLine = bench.out().strip().lines().reduce((a, b) -> b).orElseThrow();
    var sweep = JsonParser.parseString(lastLine).getAsJsonObject().getAsJsonArray("sweep");
    var one = sweep.get(0).getAsJsonObject();
    var eight = sweep.get(1).getAsJsonObject();
    assertEquals(one.get("npu_launches_per_step").getAsDouble(), eight.get("npu_launches_per_step").getAsDouble(), 0.0,
        "launches per decode step do not grow with the batch: " + lastLine);
    assertEquals(1.0, eight.get("npu_syncs_per_step").getAsDouble(), 0.0, lastLine);
    assertTrue(eight.get("npu_d2h_bytes_per_step").getAsDouble() <= 8 * 8, lastLine);
    assertTrue(eight.has("npu_h2d_bytes_per_step") && eight.has("npu_allocations_per_step"), lastLine);
    assertTrue(eight.get("npu_step_peak_bytes").getAsLong() > 0, lastLine);

    // The README's command: the emulator's set_env.sh, as a toolkit's, sets everything.
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder sourced = new ProcessBuilder("bash", "-c", "source \"$0\"/set_env.sh && exec \"$@\"", emulator,
        javaBin, "-jar", System.getProperty("gemma.jar"), "generate", "--backend", "npu", "--dtype", "f32", "--model",
        fixture.toString(), "--prompt", first.get("prompt").getAsString(), "--max-new-tokens", "20", "--ignore-eos",
        "--json");
    sourced.environment().keySet().removeIf(k -> k.startsWith("ASCEND_") || k.startsWith("GEMMA_"));
    sourced.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process viaSetEnv = sourced.start();
    String sourcedOut = new String(viaSetEnv.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(viaSetEnv.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, viaSetEnv.exitValue(), sourcedOut);
    assertEquals(first.getAsJsonArray("greedy_new_ids"),
        JsonParser.parseString(sourcedOut).getAsJsonObject().getAsJsonArray("ids"), "through set_env.sh");

    Result none = java(Map.of("ASCEND_HOME_PATH", "/nonexistent/cann"), "generate", "--backend", "npu", "--model", fixture.toString(), "--prompt", "x");
    assertEquals(1, none.status());
    assertTrue(none.err().contains("backend \"npu\"") && none.err().contains("no CANN toolkit found"), none.err());
  }

  @Test
  void aFailingNpuOperatorIsOneErrorLineWithoutAStackTrace(@TempDir Path toolkit) throws Exception {
    Path emulator = Path.of(System.getProperty("ascend.emulator"));
    Path lib = Files.createDirectories(toolkit.resolve("lib64"));
    try (var libraries = Files.list(emulator.resolve("lib64"))) {
      for (Path library : libraries.toList()) {
        Files.copy(library, lib.resolve(library.getFileName()), java.nio.file.LinkOption.NOFOLLOW_LINKS);
      }
    }
    Files.writeString(toolkit.resolve("emulator.conf"), "fail_op = aclnnSoftmax\n");
    Files.createDirectories(toolkit.resolve("opp"));
    Result r = java(Map.of("ASCEND_HOME_PATH", toolkit.toString(), "ASCEND_OPP_PATH", toolkit.resolve("opp").toString()), "generate", "--backend", "npu", "--model",
        CliRun.fixture("tiny-gemma2").toString(), "--prompt-ids", "2,5", "--max-new-tokens", "2");
    assertEquals(1, r.status(), r.err());
    assertTrue(r.err().contains("error: ") && r.err().contains("aclnnSoftmax") && r.err().contains("injected failure"), r.err());
    assertFalse(r.err().contains("\tat ") || r.err().contains("AscendException:"), "no stack trace: " + r.err());
  }

  @Test
  void theJarEnablesTheVectorApiAndTheScalarPathStillGivesTheGoldens() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject first = CliRun.firstGoldenCase(fixture);
    String[] args = {"generate", "--model", fixture.toString(), "--prompt", first.get("prompt").getAsString(),
        "--max-new-tokens", "20", "--ignore-eos", "--json"};

    Result fast = java(args);
    assertEquals(0, fast.status(), fast.err());
    assertTrue(!fast.err().contains("scalar path"), "the jar reran itself with the Vector API: " + fast.err());
    assertTrue(!fast.err().contains("incubator"), "the JVM's incubator warning is not shown: " + fast.err());

    Result scalar = java(Map.of("GEMMA_NO_RELAUNCH", "1"), args);
    assertEquals(0, scalar.status(), scalar.err());
    assertTrue(scalar.err().contains("--add-modules jdk.incubator.vector"), "one line says how to enable the fast path: " + scalar.err());
    JsonObject out = JsonParser.parseString(scalar.out()).getAsJsonObject();
    assertEquals(first.getAsJsonArray("greedy_new_ids"), out.getAsJsonArray("ids"), "the scalar kernels give the goldens");
    assertEquals(first.get("generated_text").getAsString(), out.get("text").getAsString());
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
