package dev.gemma4j;

import dev.gemma4j.testing.ApiDump;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** gemma-api's public API against its checked-in dump, {@code api/gemma-api.api}. */
class ApiCompatibilityTest {
  @Test
  void thePublicApiIsTheCheckedInOne() throws Exception {
    ApiDump.check(Gemma.class, Path.of("").toAbsolutePath(), "gemma-api");
  }
}
