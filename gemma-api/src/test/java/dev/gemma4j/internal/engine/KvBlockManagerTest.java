package dev.gemma4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KvBlockManagerTest {
  /** A manager of Gemma's two groups: full attention (group 0) and a sliding window (group 1). */
  static KvBlockManager fullAndSliding(int fullBlocks, int slidingBlocks, int blockSize, int window) {
    return new KvBlockManager(new dev.gemma4j.spi.KvCacheSpec(java.util.List.of(0, 1), java.util.List.of(
        new dev.gemma4j.spi.KvCacheGroup(0, blockSize, fullBlocks, 1, 1),
        new dev.gemma4j.spi.KvCacheGroup(window, blockSize, slidingBlocks, 1, 1))));
  }


  private static int[] tokens(int n, int seed) {
    return IntStream.range(0, n).map(i -> (i * 7 + seed) % 100).toArray();
  }

  @Test
  void blocksAreReferenceCountedAndCachedOnesEvictedLeastRecentlyUsedFirst() {
    BlockPool pool = new BlockPool(3, 4);
    int a = pool.allocate();
    int b = pool.allocate();
    pool.register(a, 11, new int[] {1, 2, 3, 4});
    pool.register(b, 22, new int[] {5, 6, 7, 8});
    assertEquals(a, pool.reuse(11, new int[] {1, 2, 3, 4}));
    assertEquals(-1, pool.reuse(11, new int[] {9, 9, 9, 9}), "same hash, other tokens: no reuse");
    pool.release(a);
    assertEquals(2, pool.inUse(), "a still has one reference");
    pool.release(a);
    pool.release(b);
    assertEquals(0, pool.inUse());
    assertEquals(3, pool.available());
    // One free block, then the least recently released cached block (a) is evicted first.
    int c = pool.allocate();
    assertNotEquals(a, c);
    assertNotEquals(b, c);
    assertEquals(a, pool.allocate());
    assertFalse(pool.contains(11, new int[] {1, 2, 3, 4}), "evicted blocks leave the cache");
    assertTrue(pool.contains(22, new int[] {5, 6, 7, 8}));
    assertEquals(b, pool.reuse(22, new int[] {5, 6, 7, 8}));
    assertEquals(-1, pool.allocate());
    assertThrows(IllegalStateException.class, () -> {
      BlockPool p = new BlockPool(1, 4);
      p.release(p.allocate());
      p.release(0);
    });
  }

  @Test
  void identicalPrefixesShareBlocks() {
    KvBlockManager cache = fullAndSliding(16, 16, 4, 100);
    int[] prompt = tokens(14, 1);
    SequenceBlocks first = cache.newSequence();
    assertEquals(0, cache.reusePrefix(first, prompt));
    assertTrue(cache.grow(first, 14));
    cache.afterStep(first, prompt, 14);
    assertEquals(4, first.blocks());

    SequenceBlocks second = cache.newSequence();
    int[] longer = tokens(20, 1);
    assertEquals(12, cache.reusePrefix(second, longer), "three whole blocks are shared");
    assertEquals(first.tables.get(0).subList(0, 3), second.tables.get(0));
    cache.countPrompt(20, 12);
    assertEquals(0.6, cache.prefixHitRate(), 1e-9);

    SequenceBlocks exact = cache.newSequence();
    assertEquals(12, cache.reusePrefix(exact, tokens(13, 1)), "the last token is always computed");

    SequenceBlocks other = cache.newSequence();
    assertEquals(0, cache.reusePrefix(other, tokens(14, 2)));

    cache.free(first);
    cache.free(second);
    cache.free(exact);
    assertEquals(0, cache.pools().get(0).inUse());
    SequenceBlocks again = cache.newSequence();
    assertEquals(12, cache.reusePrefix(again, prompt), "released blocks stay cached until evicted");
  }

  @Test
  void slidingBlocksOutsideTheWindowAreReleased() {
    KvBlockManager cache = fullAndSliding(32, 32, 4, 8);
    int[] seq = tokens(40, 3);
    SequenceBlocks blocks = cache.newSequence();
    for (int position = 0; position < 40; position++) {
      assertTrue(cache.grow(blocks, position + 1));
      // The step at this position still has every block from its first visible position on.
      int firstVisible = Math.max(0, position - 8 + 1);
      int[] table = cache.tables(blocks, position + 1)[1];
      assertEquals(position / 4 + 1, table.length);
      for (int b = 0; b < table.length; b++) {
        assertEquals(b >= firstVisible / 4, table[b] >= 0, "block " + b + " at position " + position);
      }
      cache.afterStep(blocks, seq, position + 1);
    }
    assertEquals(10, cache.pools().get(0).inUse());
    assertTrue(cache.pools().get(1).inUse() <= 3, "window 8 with blocks of 4 keeps at most 3 blocks");
    assertEquals(-1, cache.tables(blocks, 4)[1][0], "released blocks show as -1");
    cache.free(blocks);
    assertEquals(0, cache.pools().get(0).inUse());
    assertEquals(0, cache.pools().get(1).inUse());
  }

  @Test
  void growingFailsWithoutChangeWhenBlocksRunOut() {
    KvBlockManager cache = fullAndSliding(3, 3, 4, 100);
    SequenceBlocks a = cache.newSequence();
    assertTrue(cache.grow(a, 8));
    SequenceBlocks b = cache.newSequence();
    assertFalse(cache.grow(b, 8));
    assertEquals(0, b.blocks());
    assertTrue(cache.grow(b, 4));
    cache.free(a);
    assertTrue(cache.grow(b, 12));
  }
}
