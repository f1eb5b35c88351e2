package dev.gemma4j.examples.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.testkit.GemmaModel;
import dev.gemma4j.testkit.GenerationTiming;
import dev.gemma4j.testkit.GoldenFile;
import dev.gemma4j.testkit.GoldenMode;
import dev.gemma4j.testkit.GoldenPrompts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * The testkit as the README shows it: the extension opens the bundled tiny model once for the class, the
 * built-in golden prompts are checked against {@code src/test/resources/gemma-goldens/tiny-gemma2-tok/cpu.json},
 * and timing is asserted over several measured runs.
 */
@GemmaModel(backend = "cpu")
class TestkitUsageTest {

  @Test
  void builtInGoldenPromptsStillGiveTheRecordedOutputs(Gemma gemma) {
    GoldenFile.forModel(gemma).verify(GoldenPrompts.builtIn());
  }

  @Test
  void timingStaysWithinBounds(Gemma gemma) {
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(32).ignoreEos(true).build();
    // Deliberately loose bounds (the tiny model runs at a hundred tokens/s or more): they catch a build
    // that is broken, not one that is a little slower; a team's own suite sets its real bounds.
    GenerationTiming.of(gemma, Prompt.text("The capital of France is"), config)
        .warmups(1)
        .runs(3)
        .assertTokensPerSecondAtLeast(1)
        .assertTimeToFirstTokenAtMost(java.time.Duration.ofSeconds(30))
        .assertPeakMemoryAtMost(16L << 30);
  }

  @Test
  void changingOneGoldenTokenFailsWithTheDiff(Gemma gemma, @TempDir Path dir) throws IOException {
    Path recorded = Path.of("src/test/resources/gemma-goldens/tiny-gemma2-tok/cpu.json");
    JsonObject goldens = JsonParser.parseString(Files.readString(recorded)).getAsJsonObject();
    JsonArray ids = goldens.getAsJsonObject("prompts").getAsJsonObject("capital-of-france").getAsJsonArray("ids");
    ids.set(3, new com.google.gson.JsonPrimitive(ids.get(3).getAsInt() + 1));
    Path copy = Files.createDirectories(dir.resolve("tiny-gemma2-tok")).resolve("cpu.json");
    Files.writeString(copy, goldens.toString());

    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () -> GoldenFile.forModel(gemma, dir).verify(GoldenPrompts.builtIn(), GoldenMode.VERIFY));
    assertTrue(e.getMessage().contains("\"capital-of-france\": first difference at generated token 3"), e.getMessage());
    assertTrue(e.getMessage().contains("expected text:") && e.getMessage().contains("actual text:"), e.getMessage());
  }
}
