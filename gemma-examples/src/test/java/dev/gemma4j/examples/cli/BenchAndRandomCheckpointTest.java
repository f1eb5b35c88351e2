package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchAndRandomCheckpointTest {
  @TempDir Path dir;

  @Test
  void benchPrintsEveryFigureAsJsonOnItsLastLine() throws IOException {
    Path report = dir.resolve("report");
    CliRun run =
        CliRun.of(
            "bench", "--model", CliRun.fixture("tiny-gemma2").toString(), "--concurrency", "4", "--requests", "8",
            "--prompt-tokens", "20", "--new-tokens", "10", "--kv-cache-tokens", "2048", "--report", report.toString(), "--json");
    assertEquals(0, run.status(), run.err());
    String[] lines = run.out().strip().split("\n");
    JsonObject json = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    for (String key : List.of("requests_per_s", "output_tokens_per_s", "ttft_ms_p50", "ms_per_token_p50", "peak_memory_bytes", "kv_cache_bytes")) {
      assertTrue(json.get(key).getAsDouble() > 0, key + " in " + json);
    }
    assertEquals(8, json.get("requests").getAsInt());
    assertTrue(json.get("kv_blocks_peak").getAsInt() >= 4 * 2, "4 sequences of 30 positions in blocks of 16");
    assertEquals(
        json.get("output_tokens_per_s").getAsDouble(), json.get("requests_per_s").getAsDouble() * 10, 0.01 * json.get("output_tokens_per_s").getAsDouble());
    assertTrue(run.out().contains("output tokens/s") && run.out().contains("static (weights)"), run.out());
    assertTrue(Files.readString(report.resolve("results.md")).contains("| custom | 4 | 20 -> 10 |"));
    assertEquals(1, JsonParser.parseString(Files.readString(report.resolve("results.json"))).getAsJsonArray().size());
  }

  @Test
  void maxBatchSizeBoundsTheSequencesAStepRuns() {
    CliRun run = CliRun.of("bench", "--model", CliRun.fixture("tiny-gemma2").toString(), "--concurrency", "4",
        "--requests", "4", "--prompt-tokens", "20", "--new-tokens", "10", "--kv-cache-tokens", "2048",
        "--max-batch-size", "1", "--json");
    assertEquals(0, run.status(), run.err());
    String[] lines = run.out().strip().split("\n");
    JsonObject json = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    assertTrue(json.get("kv_blocks_peak").getAsInt() <= 2,
        "one sequence of 30 positions at a time holds at most 2 blocks of 16: " + json);
  }

  @Test
  void benchNeedsAWorkload() {
    CliRun run = CliRun.of("bench", "--model", CliRun.fixture("tiny-gemma2").toString(), "--concurrency", "2");
    assertEquals(2, run.status(), "a missing workload is a usage error");
    assertTrue(run.err().contains("--workload short|long"), run.err());
  }

  /**
   * A Gemma 3 multimodal config (gemma-3-4b-it's, cut to 2 layers of a tiny width through a copy) gives a text
   * checkpoint with the q/k norms the registry lays out, that loads and runs.
   */
  @Test
  void randomGemma3CheckpointsFollowTheRegistrysLayout() throws IOException {
    JsonObject config = JsonParser.parseString(Files.readString(
        CliRun.fixture("real-configs").resolve("gemma-3-4b-it.config.json"))).getAsJsonObject();
    JsonObject text = config.getAsJsonObject("text_config");
    text.addProperty("hidden_size", 32);
    text.addProperty("intermediate_size", 64);
    text.addProperty("head_dim", 16);
    text.addProperty("vocab_size", 300);
    Path small = Files.writeString(dir.resolve("gemma3.json"), config.toString());
    Path out = dir.resolve("random-gemma3");
    CliRun run = CliRun.of("random-checkpoint", "--config", small.toString(), "--layers", "2", "--out", out.toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("gemma3 2 layers"), run.out());
    try (Checkpoint c = Checkpoint.open(out)) {
      assertEquals(dev.gemma4j.config.Architecture.GEMMA3, c.config().architecture());
      assertEquals(2 * (11 + 2) + 2, c.tensors().size());
      assertEquals(List.of(16L), c.tensors().get("model.layers.1.self_attn.k_norm.weight").shape());
    }
    Path awq = dir.resolve("random-gemma3-awq");
    CliRun quantized = CliRun.of("random-checkpoint", "--config", small.toString(), "--layers", "2", "--quantize", "awq",
        "--group-size", "32", "--out", awq.toString());
    assertEquals(0, quantized.status(), quantized.err());
    for (Path folder : List.of(out, awq)) {
      try (Gemma gemma = Gemma.open(folder.toString(), GemmaOptions.builder().backend("cpu").build())) {
        assertEquals(4, gemma.generate(Prompt.ids(2, 17, 99), GenerationConfig.builder().maxNewTokens(4).ignoreEos(true)
            .build()).tokenIds().size(), folder.toString());
      }
    }
  }

  @Test
  void randomCheckpointsHaveTheConfigsShapesAndRun() throws IOException {
    Path out = dir.resolve("random-tok");
    CliRun run =
        CliRun.of(
            "random-checkpoint", "--config", CliRun.fixture("tiny-gemma2-tok").resolve("config.json").toString(),
            "--layers", "1", "--dtype", "f32", "--seed", "3", "--out", out.toString());
    assertEquals(0, run.status(), run.err());
    try (Checkpoint c = Checkpoint.open(out)) {
      assertEquals(1, c.config().numLayers());
      assertEquals(DType.F32, c.tensors().get("model.embed_tokens.weight").dtype());
      assertEquals(1 + 11 + 1, c.tensors().size());
    }
    assertTrue(Files.exists(out.resolve("tokenizer.json")), "the 256000-token vocabulary gets the bundled tokenizer");
    try (Gemma gemma = Gemma.open(out.toString(), GemmaOptions.builder().backend("cpu").build())) {
      assertEquals(5, gemma.generate(Prompt.text("Hello"), GenerationConfig.builder().maxNewTokens(5).ignoreEos(true).build()).tokenIds().size());
    }
    try (var files = Files.list(dir)) {
      assertEquals(List.of(out), files.toList(), "no temporary folder is left behind");
    }
    CliRun again =
        CliRun.of("random-checkpoint", "--config", CliRun.fixture("tiny-gemma2").resolve("config.json").toString(), "--out", out.toString());
    assertEquals(1, again.status());
    assertTrue(again.err().contains("not empty"), again.err());
  }

  @Test
  void writesAwqCheckpointsThatLoadAndRun(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("random-awq");
    CliRun run = CliRun.of("random-checkpoint", "--config", CliRun.fixture("tiny-gemma2").resolve("config.json").toString(),
        "--quantize", "awq", "--group-size", "32", "--out", out.toString());
    assertEquals(0, run.status(), run.err());
    try (Checkpoint c = Checkpoint.open(out)) {
      assertEquals(new dev.gemma4j.config.Quantization(4, 32), c.quantization().orElseThrow());
      assertEquals(DType.I32, c.tensors().get("model.layers.0.mlp.down_proj.qweight").dtype());
      assertEquals(DType.F16, c.tensors().get("model.layers.0.mlp.down_proj.scales").dtype());
      assertEquals(DType.F16, c.tensors().get("model.embed_tokens.weight").dtype());
    }
    try (Gemma gemma = Gemma.open(out.toString(), GemmaOptions.builder().backend("cpu").build())) {
      var ids = Prompt.ids(2, 17, 33);
      var config = GenerationConfig.builder().maxNewTokens(6).ignoreEos(true).build();
      assertEquals(gemma.generate(ids, config).tokenIds(), gemma.generate(ids, config).tokenIds());
    }
    CliRun wrong = CliRun.of("random-checkpoint", "--config", CliRun.fixture("tiny-gemma2").resolve("config.json").toString(),
        "--quantize", "gptq", "--out", dir.resolve("x").toString());
    assertEquals(2, wrong.status());
    assertTrue(wrong.err().contains("--quantize gptq"), wrong.err());
  }
}
