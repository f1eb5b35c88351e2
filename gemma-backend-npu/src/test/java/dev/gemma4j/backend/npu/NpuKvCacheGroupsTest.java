package dev.gemma4j.backend.npu;

import dev.gemma4j.testing.KvCacheGroupsCheck;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Precision;
import org.junit.jupiter.api.Test;

/**
 * KV-cache groups of their own window, table and head shape on the NPU over the emulator: float32 (written
 * with {@code InplaceIndexCopy}) exactly, bf16 (written with {@code ScatterPaKvCache}, each group's heads
 * as its shape says) within bf16's rounding.
 */
class NpuKvCacheGroupsTest {
  @Test
  void eachGroupReadsItsOwnTableWindowAndHeadShape() {
    try (Backend backend = Emulator.provider(Emulator.home()).open(new BackendOptions(Precision.FLOAT32, 0, 0))) {
      KvCacheGroupsCheck.check(backend.ops(), 20, 1e-5);
    }
  }

  @Test
  void inBf16TooWhereTheCacheIsWrittenByScatter() {
    try (Backend backend = Emulator.provider(Emulator.home()).open(new BackendOptions(Precision.BFLOAT16, 0, 0))) {
      KvCacheGroupsCheck.check(backend.ops(), 20, 0.06);
    }
  }
}
