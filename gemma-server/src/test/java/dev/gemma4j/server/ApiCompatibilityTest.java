package dev.gemma4j.server;

import dev.gemma4j.testing.ApiDump;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** gemma-server's public API against its checked-in dump, {@code api/gemma-server.api}. */
class ApiCompatibilityTest {
  @Test
  void thePublicApiIsTheCheckedInOne() throws Exception {
    ApiDump.check(GemmaServer.class, Path.of("").toAbsolutePath(), "gemma-server");
  }
}
