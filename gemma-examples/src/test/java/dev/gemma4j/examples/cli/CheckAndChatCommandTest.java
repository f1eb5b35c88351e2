package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.check.DeploymentCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckAndChatCommandTest {

  @Test
  void checkRunsTheArticlesPromptsAndBenchmarkAndReportsEveryField() {
    CliRun run = CliRun.of("check", "--model", CliRun.fixture("tiny-gemma2-tok").toString(), "--json");
    assertEquals(0, run.status(), run.err());
    String[] lines = run.out().strip().split("\n");
    JsonObject json = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    assertTrue(json.get("device").getAsString().startsWith("cpu"));
    assertEquals("cpu", json.get("backend").getAsString());

    JsonArray prompts = json.getAsJsonArray("prompts");
    assertEquals(4, prompts.size());
    for (int i = 0; i < 4; i++) {
      JsonObject p = prompts.get(i).getAsJsonObject();
      assertEquals(DeploymentCheck.PROMPTS.get(i), p.get("prompt").getAsString());
      assertTrue(p.get("input_tokens").getAsInt() > 1);
      assertTrue(p.get("new_tokens").getAsInt() >= 1 && p.get("new_tokens").getAsInt() <= 50);
      assertTrue(p.get("seconds").getAsDouble() > 0 && p.get("tokens_per_s").getAsDouble() > 0);
      assertTrue(p.has("text"));
    }
    // The article's first two prompts encode to the tokenizer goldens' ids (BOS included).
    assertEquals(6, prompts.get(0).getAsJsonObject().get("input_tokens").getAsInt());
    assertEquals(6, prompts.get(1).getAsJsonObject().get("input_tokens").getAsInt());

    JsonObject bench = json.getAsJsonObject("benchmark");
    assertEquals(3, bench.getAsJsonArray("runs").size());
    for (var r : bench.getAsJsonArray("runs")) {
      assertEquals(DeploymentCheck.BENCHMARK_PROMPT, r.getAsJsonObject().get("prompt").getAsString());
      assertEquals(12, r.getAsJsonObject().get("input_tokens").getAsInt());
    }
    int total = bench.get("total_tokens").getAsInt();
    assertTrue(total > 0 && total <= 300);
    assertTrue(bench.get("avg_tokens_per_s").getAsDouble() > 0);
    assertTrue(bench.get("ms_per_token").getAsDouble() > 0);
    assertTrue(bench.get("fluctuation_pct").getAsDouble() >= 0);
    assertTrue(bench.get("total_seconds").getAsDouble() > 0);

    JsonObject memory = json.getAsJsonObject("memory");
    for (String key : List.of("after_load_bytes", "peak_bytes", "device_total_bytes", "device_free_bytes")) {
      assertTrue(memory.get(key).getAsLong() > 0, key);
    }
    assertTrue(memory.get("peak_bytes").getAsLong() >= memory.get("after_load_bytes").getAsLong());
    assertTrue(run.out().contains("== Summary") && run.out().contains("between runs"), run.out());
  }

  @Test
  void checkWithoutAModelUsesTheBundledOneAndSaysSo() {
    CliRun run = CliRun.of("check");
    assertEquals(0, run.status(), run.err());
    assertTrue(run.err().contains("bundled tiny model"), run.err());
  }

  @Test
  void chatStreamsAnswersAndKeepsTheConversation() {
    CliRun run =
        CliRun.withInput(
            "The capital of France is\n/reset\nThe capital of France is\n/exit\n",
            "chat", "--model", CliRun.fixture("tiny-gemma2-tok").toString(), "--max-new-tokens", "20");
    assertEquals(0, run.status(), run.err());
    // Greedy on the same single-turn conversation twice (after /reset): the same answer both times.
    List<String> answers = run.out().lines().filter(l -> l.contains("gemma> ")).toList();
    assertEquals(2, answers.size(), run.out());
    assertEquals(answers.get(0), answers.get(1));
    assertTrue(run.out().contains("(conversation cleared)"));
  }
}
