package dev.gemma4j.langchain4j;

import dev.gemma4j.testing.ApiDump;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** gemma-langchain4j's public API against its checked-in dump, {@code api/gemma-langchain4j.api}. */
class ApiCompatibilityTest {
  @Test
  void thePublicApiIsTheCheckedInOne() throws Exception {
    ApiDump.check(GemmaChatModel.class, Path.of("").toAbsolutePath(), "gemma-langchain4j");
  }
}
