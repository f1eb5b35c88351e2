package dev.gemma4j.backend.cpu;

import dev.gemma4j.testing.KvCacheGroupsCheck;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import org.junit.jupiter.api.Test;

/** KV-cache groups of their own window, table and head shape on the CPU (both attention paths). */
class KvCacheGroupsTest {
  @Test
  void eachGroupReadsItsOwnTableWindowAndHeadShape() {
    try (Backend backend = new CpuBackendProvider().open(BackendOptions.defaults())) {
      KvCacheGroupsCheck.check(backend.ops(), CpuAttentionStep.JAVA_QUERY_ROWS + 4, 1e-5);
    }
  }
}
