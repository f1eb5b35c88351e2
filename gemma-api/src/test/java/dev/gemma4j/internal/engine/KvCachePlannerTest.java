package dev.gemma4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.GemmaException;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The KV cache's sizing, memory budget and admission arithmetic over its groups. */
class KvCachePlannerTest {
  @Test
  void gemma3sSlidingGroupHoldsOnlyItsWindowAtFullContext() {
    ModelConfig b27 = TestFixtures.realConfig("gemma-3-27b-it");
    KvCacheSpec layout = DecoderModel.kvCacheLayout(b27, 16);
    assertEquals(2, layout.groups().size());
    assertEquals(0, layout.groups().get(0).window(), "full attention first");
    assertEquals(1024, layout.groups().get(1).window());
    assertEquals(10, layout.layersIn(0));
    assertEquals(52, layout.layersIn(1));
    EngineOptions oneSequence = EngineOptions.defaults().withMaxBatchSize(1).withBlockSize(16).withKvCacheTokens(131_072);
    KvCacheSpec sized = KvCachePlanner.size(layout, b27, oneSequence, Long.MAX_VALUE, 2);
    assertEquals(131_072 / 16, sized.groups().get(0).blocks());
    assertEquals((1024 + 512 + 32) / 16, sized.groups().get(1).blocks(), "the window, a step's chunk and two blocks");
    // 2 (keys and values) x 16 heads x 128 x 2 bytes per layer and position.
    long expected = 8192L * (131_072L * 10 + 1568L * 52);
    assertEquals(expected, sized.bytes(2));
    assertEquals(expected, KvCachePlanner.minimumBytes(layout, b27, oneSequence, 2));
    assertTrue(sized.bytes(2) < 8192L * 131_072 * 62 / 5, "a fifth of what every layer at full context would take");
  }

  @Test
  void freeMemoryIsSharedInEqualTokensByTheGroupsThatAreNotCapped() {
    ModelConfig b2 = TestFixtures.realConfig("gemma-2-2b-it");
    KvCacheSpec layout = DecoderModel.kvCacheLayout(b2, 16);
    EngineOptions options = EngineOptions.defaults().withMaxBatchSize(2).withBlockSize(16);
    long perLayerToken = 2L * 4 * 256 * 2;
    long free = 10L << 30;
    KvCacheSpec sized = KvCachePlanner.size(layout, b2, options, free, 2);
    long slidingTokens = 2L * (4096 + 512 + 32);
    assertEquals(slidingTokens / 16, sized.groups().get(1).blocks());
    long budget = (long) (free * 0.3);
    long fullTokens = (budget - slidingTokens * perLayerToken * 13) / (perLayerToken * 13);
    assertEquals(Math.min(fullTokens, 8192L * 2) / 16, sized.groups().get(0).blocks(), "capped at the batch's contexts");
  }

  @Test
  void anExplicitSizeThatDoesNotFitIsRefusedWithTheNumbers() {
    ModelConfig b2 = TestFixtures.realConfig("gemma-2-2b-it");
    KvCacheSpec layout = DecoderModel.kvCacheLayout(b2, 16);
    EngineOptions options = EngineOptions.defaults().withMaxBatchSize(1).withBlockSize(16).withKvCacheTokens(8192);
    String message = assertThrows(GemmaException.class, () -> KvCachePlanner.size(layout, b2, options, 1 << 20, 2))
        .getMessage();
    assertTrue(message.contains("8192 tokens") && message.contains("kvCacheTokens"), message);
  }

  @Test
  void admissionCountsOnlyTheWindowOfASlidingGroup() {
    EngineOptions options = EngineOptions.defaults();
    KvCacheGroup full = new KvCacheGroup(0, 16, 100, 4, 64);
    KvCacheGroup sliding = new KvCacheGroup(64, 16, 100, 4, 64);
    assertEquals(63, KvCachePlanner.blocksNeeded(full, 1000, options));
    assertEquals((64 + 512) / 16 + 2, KvCachePlanner.blocksNeeded(sliding, 1000, options));
    assertEquals(2, KvCachePlanner.blocksNeeded(sliding, 20, options), "never more than the sequence's own blocks");
  }

  @Test
  void anyNumberOfGroupsWithTheirOwnWindowsAndHeadShapes() {
    // Three groups, as a Gemma 4-like model would need: full attention with a wide head, and two windows.
    KvCacheSpec layout = new KvCacheSpec(List.of(1, 2, 0, 1, 2, 0), List.of(
        new KvCacheGroup(0, 4, 0, 1, 32), new KvCacheGroup(8, 4, 0, 2, 8), new KvCacheGroup(16, 4, 0, 2, 8)));
    ModelConfig config = FakeRunner.CONFIG;
    EngineOptions options = EngineOptions.defaults().withMaxBatchSize(1).withBlockSize(4).withMaxBatchTokens(8)
        .withKvCacheTokens(100);
    KvCacheSpec sized = KvCachePlanner.size(layout, config, options, Long.MAX_VALUE, 4);
    assertEquals(25, sized.groups().get(0).blocks());
    assertEquals(Math.min(25, (8 + 8 + 8) / 4), sized.groups().get(1).blocks());
    assertEquals(Math.min(25, (16 + 8 + 8) / 4), sized.groups().get(2).blocks());
    long bytes = 2L * 4 * (2 * 100 * 32 + 2 * 24 * 16 + 2 * 32 * 16);
    assertEquals(bytes, sized.bytes(4));

    KvBlockManager blocks = new KvBlockManager(sized);
    SequenceBlocks sequence = blocks.newSequence();
    int[] tokens = new int[40];
    for (int position = 0; position < 40; position++) {
      assertTrue(blocks.grow(sequence, position + 1));
      blocks.afterStep(sequence, tokens, position + 1);
    }
    assertEquals(10, blocks.pools().get(0).inUse(), "full attention keeps every block");
    assertTrue(blocks.pools().get(1).inUse() <= 3, "window 8 in blocks of 4: " + blocks.pools().get(1).inUse());
    assertTrue(blocks.pools().get(2).inUse() <= 5, "window 16 in blocks of 4: " + blocks.pools().get(2).inUse());
    int[][] tables = blocks.tables(sequence, 40);
    assertEquals(-1, tables[1][0]);
    assertTrue(tables[0][0] >= 0);
    blocks.free(sequence);
    assertEquals(0, blocks.pools().stream().mapToInt(BlockPool::inUse).sum());
  }
}
