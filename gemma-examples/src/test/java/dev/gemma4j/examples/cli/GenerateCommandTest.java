package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code gemma generate} against the reference goldens of every fixture, including shapes the SDK was
 * not written for (head_dim unequal to hidden / heads, other groupings, windows and caps).
 */
class GenerateCommandTest {
  @TempDir Path dir;

  private static JsonObject golden(String fixture) throws IOException {
    return JsonParser.parseString(Files.readString(CliRun.fixture(fixture).resolve("golden.json"))).getAsJsonObject();
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gemma2", "tiny-gemma2-bf16", "tiny-gemma2-tok", "shape-gqa3-hd24", "shape-mha-hd32-bf16"})
  void jsonOutputReproducesTheGreedyGoldens(String fixture) throws IOException {
    JsonArray cases = golden(fixture).getAsJsonArray("cases");
    List<String> lines = new ArrayList<>();
    int newTokens = cases.get(0).getAsJsonObject().getAsJsonArray("greedy_new_ids").size();
    for (JsonElement c : cases) {
      lines.add("{\"ids\": " + c.getAsJsonObject().getAsJsonArray("input_ids") + "}");
    }
    Path prompts = Files.write(dir.resolve("prompts.jsonl"), lines);
    CliRun run =
        CliRun.of(
            "generate", "--model", CliRun.fixture(fixture).toString(), "--prompts-file", prompts.toString(),
            "--max-new-tokens", String.valueOf(newTokens), "--ignore-eos", "--top-logits", "5",
            "--concurrency", "2", "--json");
    assertEquals(0, run.status(), run.err());
    String[] out = run.out().strip().split("\n");
    assertEquals(cases.size(), out.length, run.out());
    for (int i = 0; i < out.length; i++) {
      JsonObject expected = cases.get(i).getAsJsonObject();
      JsonObject actual = JsonParser.parseString(out[i]).getAsJsonObject();
      assertEquals(expected.getAsJsonArray("input_ids"), actual.getAsJsonArray("prompt_ids"));
      assertEquals(expected.getAsJsonArray("greedy_new_ids"), actual.getAsJsonArray("ids"), fixture + " case " + i);
      JsonArray steps = actual.getAsJsonArray("steps");
      JsonArray expectedSteps = expected.getAsJsonArray("greedy_steps_top5");
      assertEquals(expectedSteps.size(), steps.size());
      for (int s = 0; s < steps.size(); s++) {
        JsonArray expectedLogits = expectedSteps.get(s).getAsJsonObject().getAsJsonArray("top_logits");
        JsonArray logits = steps.get(s).getAsJsonObject().getAsJsonArray("top_logits");
        assertEquals(expectedSteps.get(s).getAsJsonObject().getAsJsonArray("top_ids").get(0),
            steps.get(s).getAsJsonObject().getAsJsonArray("top_ids").get(0));
        for (int k = 0; k < 5; k++) {
          assertEquals(expectedLogits.get(k).getAsDouble(), logits.get(k).getAsDouble(), 1e-4, fixture + " step " + s);
        }
      }
      JsonObject stats = actual.getAsJsonObject("stats");
      assertEquals(newTokens, stats.get("generated_tokens").getAsInt());
      assertTrue(stats.get("tokens_per_s").getAsDouble() > 0);
      assertTrue(stats.get("peak_memory_bytes").getAsLong() > 0);
    }
  }

  @Test
  void textPromptsPrintTheGoldenText() throws IOException {
    JsonObject first = golden("tiny-gemma2-tok").getAsJsonArray("cases").get(0).getAsJsonObject();
    CliRun run =
        CliRun.of(
            "generate", "--model", CliRun.fixture("tiny-gemma2-tok").toString(),
            "--prompt", first.get("prompt").getAsString(), "--max-new-tokens", "20", "--ignore-eos");
    assertEquals(0, run.status(), run.err());
    assertEquals(first.get("generated_text").getAsString(), run.out().strip());
    assertTrue(run.err().contains("20 new tokens"), run.err());
  }

  @Test
  void chatPromptsUseTheTemplate() throws IOException {
    JsonObject chat = golden("tiny-gemma2-tok").getAsJsonArray("cases").get(5).getAsJsonObject();
    CliRun run =
        CliRun.of(
            "generate", "--model", CliRun.fixture("tiny-gemma2-tok").toString(), "--chat",
            "--prompt", "The capital of France is", "--max-new-tokens", "20", "--ignore-eos", "--json");
    assertEquals(0, run.status(), run.err());
    JsonObject out = JsonParser.parseString(run.out()).getAsJsonObject();
    assertEquals(chat.getAsJsonArray("input_ids"), out.getAsJsonArray("prompt_ids"));
    assertEquals(chat.get("generated_text").getAsString(), out.get("text").getAsString());
  }

  @Test
  void sampledGenerationIsReproducibleWithASeed() {
    String[] args = {
      "generate", "--model", CliRun.fixture("tiny-gemma2").toString(), "--prompt-ids", "2,81,213",
      "--temperature", "0.7", "--top-p", "0.9", "--top-k", "50", "--seed", "5", "--max-new-tokens", "12", "--json"
    };
    CliRun a = CliRun.of(args);
    CliRun b = CliRun.of(args);
    assertEquals(0, a.status(), a.err());
    JsonArray ids = JsonParser.parseString(a.out()).getAsJsonObject().getAsJsonArray("ids");
    assertEquals(12, ids.size());
    assertEquals(ids, JsonParser.parseString(b.out()).getAsJsonObject().getAsJsonArray("ids"));
  }

  @Test
  void errorsGoToStandardErrorWithANonZeroStatus() throws IOException {
    CliRun missing = CliRun.of("generate", "--model", dir.resolve("absent").toString(), "--prompt", "x");
    assertEquals(1, missing.status());
    assertTrue(missing.err().startsWith("error: ") && missing.err().contains("absent"), missing.err());
    assertEquals("", missing.out());

    CliRun tooLong = CliRun.of("generate", "--model", CliRun.fixture("tiny-gemma2").toString(), "--prompt-ids",
        "2," + "5,".repeat(299) + "5");
    assertEquals(1, tooLong.status());
    assertTrue(tooLong.err().contains("max_position_embeddings"), tooLong.err());

    Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"nope\": 1}\n");
    CliRun badFile = CliRun.of("generate", "--model", CliRun.fixture("tiny-gemma2").toString(), "--prompts-file", bad.toString());
    assertEquals(1, badFile.status());
    assertTrue(badFile.err().contains("line 1") && badFile.err().contains("neither \"ids\" nor \"text\""), badFile.err());

    CliRun dtype = CliRun.of("generate", "--model", CliRun.fixture("tiny-gemma2").toString(), "--prompt-ids", "2", "--dtype", "int4");
    assertEquals(2, dtype.status(), "a bad option value is a usage error");
    assertTrue(dtype.err().contains("unknown dtype \"int4\""), dtype.err());

    CliRun usage = CliRun.of("generate", "--model", "x");
    assertEquals(2, usage.status());
    assertTrue(usage.err().contains("--prompt"), usage.err());
  }
}
