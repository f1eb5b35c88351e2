package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code gemma} program given what a careless user types: a usage error exits 2 naming the one value
 * that is wrong, a bad prompt line names its line, a failing prompt fails alone, and what does run is
 * printed.
 */
@Timeout(120)
class CarelessInputTest {
  @TempDir Path dir;

  private static String tiny() {
    return CliRun.fixture("tiny-gemma2").toString();
  }

  private static void usageError(String option, String... args) {
    CliRun run = CliRun.of(args);
    String what = String.join(" ", args);
    assertEquals(2, run.status(), what + "\n" + run.err());
    assertTrue(run.err().startsWith("error: ") && run.err().contains(option), what + "\n" + run.err());
    assertFalse(run.err().contains("Options[") || run.err().contains("Exception"), "no records or stack traces: " + run.err());
    assertTrue(run.err().lines().count() <= 4, "one message and the usage hint: " + run.err());
    assertEquals("", run.out());
  }

  @Test
  void usageErrorsExitTwoNamingTheValue() {
    usageError("--concurrency", "generate", "--model", tiny(), "--prompt-ids", "2", "--concurrency", "0");
    usageError("--dtype", "generate", "--model", tiny(), "--prompt-ids", "2", "--dtype", "fp8");
    usageError("--backend", "generate", "--model", tiny(), "--prompt-ids", "2", "--backend", "nonsense");
    usageError("--max-new-tokens", "generate", "--model", tiny(), "--prompt-ids", "2", "--max-new-tokens", "0");
    usageError("--kv-cache-tokens", "generate", "--model", tiny(), "--prompt-ids", "2", "--kv-cache-tokens", "-5");
    usageError("--threads", "generate", "--model", tiny(), "--prompt-ids", "2", "--threads", "100000");
    usageError("--threads", "generate", "--model", tiny(), "--prompt-ids", "2", "--threads", "-1");
    usageError("--queue-capacity", "generate", "--model", tiny(), "--prompt-ids", "2", "--queue-capacity", "0");
    usageError("--max-batch-size", "generate", "--model", tiny(), "--prompt-ids", "2", "--max-batch-size", "-3");
    usageError("--max-batch-size", "serve", "--model", tiny(), "--max-batch-size", "100000");
    usageError("--max-batch-size", "bench", "--model", tiny(), "--workload", "short", "--max-batch-size", "-1");
    usageError("--requests", "bench", "--model", tiny(), "--workload", "short", "--requests", "0");
    usageError("--temperature", "generate", "--model", tiny(), "--prompt-ids", "2", "--temperature", "-1");
    usageError("--repetition-penalty",
        "generate", "--model", tiny(), "--prompt-ids", "2", "--repetition-penalty", "1e-300");
    usageError("--repetition-penalty",
        "generate", "--model", tiny(), "--prompt-ids", "2", "--repetition-penalty", "4.9e-324");
    usageError("--api-key", "serve", "--model", tiny(), "--api-key", "");
    usageError("--api-key", "serve", "--model", tiny(), "--api-key", "  ");
    usageError("--request-read-timeout", "serve", "--model", tiny(), "--request-read-timeout", "0");
    usageError("--idle-timeout", "serve", "--model", tiny(), "--idle-timeout", "0");
    usageError("--max-connections", "serve", "--model", tiny(), "--max-connections", "0");
  }

  @Test
  void aKvCacheLargerThanMemoryIsRefusedBeforeAllocating() {
    CliRun run = CliRun.of("generate", "--model", tiny(), "--prompt-ids", "2", "--kv-cache-tokens", "2000000000");
    assertEquals(1, run.status(), run.err());
    assertTrue(run.err().startsWith("error: ") && run.err().contains("KV cache") && run.err().contains("--kv-cache-tokens"),
        run.err());
    assertFalse(run.err().contains("OutOfMemoryError"), run.err());
  }

  @Test
  void everySubcommandHasHelpWithoutWarnings() {
    for (String command : new String[] {"generate", "chat", "bench", "check", "backends", "random-checkpoint"}) {
      CliRun help = CliRun.of(command, "--help");
      assertEquals(0, help.status(), command + ": " + help.err());
      assertTrue(help.out().contains("Usage: gemma " + command), command + ": " + help.out());
      assertEquals("", help.err(), command + " --help prints no warnings");
    }
    CliRun missing = CliRun.of("generate", "--model", tiny());
    assertFalse(missing.err().contains("WARN"), missing.err());
  }

  @Test
  void promptLinesOfTheWrongShapeNameTheirLine() throws IOException {
    String[][] cases = {
      {"{\"ids\": [2, 2.5]}", "\"ids\" holds 2.5"},
      {"{\"ids\": [2, -4]}", "\"ids\" holds -4"},
      {"{\"text\": \"ok\", \"ids\": [2, 5]}", "both \"ids\" and \"text\""},
      {"{\"ids\": \"2,3\"}", "\"ids\" must be a list of integers"},
      {"{\"text\": 5}", "\"text\" must be a string"},
      {"{\"ids\": [2], \"ids\": [3]}", "\"ids\" twice"},
      {"{ids: [2]}", "not valid JSON"},
    };
    for (String[] c : cases) {
      Path file = Files.writeString(dir.resolve("prompts.jsonl"), "{\"ids\": [2, 81]}\n" + c[0] + "\n");
      CliRun run = CliRun.of("generate", "--model", tiny(), "--prompts-file", file.toString(), "--max-new-tokens", "2");
      assertEquals(1, run.status(), c[0]);
      assertTrue(run.err().contains("line 2") && run.err().contains(c[1]), c[0] + ": " + run.err());
      assertFalse(run.err().contains("Exception") || run.err().toLowerCase().contains("gson"), run.err());
    }
  }

  @Test
  void aFailingPromptFailsAloneAndTheOthersArePrinted() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("{\"ids\": [2, 81]}");
    lines.add("{\"ids\": [2, 9999]}"); // outside the 512-token vocabulary
    lines.add("{\"ids\": [2, 82]}");
    Path file = Files.write(dir.resolve("prompts.jsonl"), lines);
    CliRun run = CliRun.of("generate", "--model", tiny(), "--prompts-file", file.toString(), "--max-new-tokens", "2",
        "--json");
    assertEquals(1, run.status(), run.err());
    String[] out = run.out().strip().split("\n");
    assertEquals(3, out.length, run.out());
    assertEquals(2, JsonParser.parseString(out[0]).getAsJsonObject().getAsJsonArray("ids").size());
    JsonObject failed = JsonParser.parseString(out[1]).getAsJsonObject();
    assertTrue(failed.get("error").getAsString().contains("outside the vocabulary"), out[1]);
    assertEquals(2, JsonParser.parseString(out[2]).getAsJsonObject().getAsJsonArray("ids").size());
    assertTrue(run.err().contains("1 of 3 prompts failed"), run.err());
  }

  @Test
  void moreConcurrentPromptsThanTheQueueHoldsAllRun() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      lines.add("{\"ids\": [2, " + (10 + i) + "]}");
    }
    Path file = Files.write(dir.resolve("many.jsonl"), lines);
    CliRun run = CliRun.of("generate", "--model", tiny(), "--prompts-file", file.toString(), "--max-new-tokens", "1",
        "--concurrency", "200", "--queue-capacity", "8", "--json");
    assertEquals(0, run.status(), run.err());
    assertEquals(200, run.out().strip().split("\n").length);
  }

  @Test
  void idPromptsWithoutATokenizerPrintTheIds() {
    CliRun run = CliRun.of("generate", "--model", tiny(), "--prompt-ids", "2,81", "--max-new-tokens", "3",
        "--ignore-eos");
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().strip().matches("ids \\d+ \\d+ \\d+"), "the generated ids: " + run.out());
  }

  @Test
  void pathsThatAreNotCheckpointFoldersAreNamedAsSuch() throws IOException {
    Path file = Files.writeString(dir.resolve("notes.txt"), "hello");
    CliRun absolute = CliRun.of("generate", "--model", file.toString(), "--prompt-ids", "2");
    assertTrue(absolute.err().contains("is a file, not a checkpoint folder"), absolute.err());
    String relativePath = Path.of("").toAbsolutePath().relativize(file).toString();
    CliRun relative = CliRun.of("generate", "--model", relativePath, "--prompt-ids", "2");
    assertTrue(relative.err().contains("is a file, not a checkpoint folder"), relative.err());
    assertFalse(relative.err().contains("cannot reach"), relative.err());

    Path loop = dir.resolve("loop");
    Files.createSymbolicLink(loop, loop);
    CliRun looped = CliRun.of("generate", "--model", loop.toString(), "--prompt-ids", "2");
    assertTrue(looped.err().contains("symbolic link that leads nowhere"), looped.err());

    Path folder = Files.createDirectories(dir.resolve("weights-folder"));
    Files.copy(CliRun.fixture("tiny-gemma2-bf16").resolve("config.json"), folder.resolve("config.json"));
    Files.createDirectory(folder.resolve("model.safetensors"));
    CliRun directory = CliRun.of("generate", "--model", folder.toString(), "--prompt-ids", "2");
    assertTrue(directory.err().contains("model.safetensors is a folder"), directory.err());
    assertFalse(directory.err().contains("No such device"), directory.err());
  }
}
