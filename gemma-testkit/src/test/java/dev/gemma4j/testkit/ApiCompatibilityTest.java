package dev.gemma4j.testkit;

import dev.gemma4j.testing.ApiDump;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** gemma-testkit's public API against its checked-in dump, {@code api/gemma-testkit.api}. */
class ApiCompatibilityTest {
  @Test
  void thePublicApiIsTheCheckedInOne() throws Exception {
    ApiDump.check(BundledModel.class, Path.of("").toAbsolutePath(), "gemma-testkit");
  }
}
