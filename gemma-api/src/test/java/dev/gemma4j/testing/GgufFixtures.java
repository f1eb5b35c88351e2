package dev.gemma4j.testing;

import dev.gemma4j.checkpoint.GgufTestFiles;
import dev.gemma4j.checkpoint.GgufType;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The GGUF test files of {@link GgufTestFiles} for other modules' tests, which cannot name a test class in one of
 * gemma-api's own packages (their tests compile inside their module, where those packages belong to gemma-api).
 */
public final class GgufFixtures {
  private GgufFixtures() {}

  /** See {@link GgufTestFiles#fromFixture}. */
  public static void fromFixture(Path fixture, GgufType type, boolean dequantizedTwin, Path out) throws IOException {
    GgufTestFiles.fromFixture(fixture, type, dequantizedTwin, out);
  }

  /** See {@link GgufTestFiles#randomKQuantModel}. */
  public static void randomKQuantModel(Path out, boolean twin, long seed) throws IOException {
    GgufTestFiles.randomKQuantModel(out, twin, seed);
  }
}
