package dev.gemma4j.internal.engine;

import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import java.util.Arrays;
import java.util.List;

/**
 * The bookkeeping of the paged KV cache, independent of the backend: one {@link BlockPool} per KV-cache
 * group (a full-attention group, a sliding-window one, and whatever groups an architecture declares; a
 * sliding group needs only its last {@code window} positions, so its blocks are released as a sequence
 * moves past them and its pool can be smaller). Keeps each sequence's block tables, shares the blocks of
 * identical prompt prefixes, and counts prefix-cache hits. The scheduler allocates and frees through it;
 * the engine reads its pools for statistics.
 */
final class KvBlockManager {
  private final KvCacheSpec spec;
  private final List<BlockPool> pools;
  private final int[] windows;
  private final int blockSize;
  private long queriedPromptTokens;
  private long reusedPromptTokens;

  /** A manager of the groups of {@code spec}, each pool as large as its group's block count. */
  KvBlockManager(KvCacheSpec spec) {
    this.spec = spec;
    this.pools = spec.groups().stream().map(g -> new BlockPool(g.blocks(), g.blockSize())).toList();
    this.windows = spec.groups().stream().mapToInt(KvCacheGroup::window).toArray();
    this.blockSize = spec.blockSize();
  }

  int blockSize() {
    return blockSize;
  }

  /** The cache's groups and sizes. */
  KvCacheSpec spec() {
    return spec;
  }

  /** The pool of each group, in the spec's order. */
  List<BlockPool> pools() {
    return pools;
  }

  /** The window of group {@code group}; 0 for full attention. */
  int window(int group) {
    return windows[group];
  }

  /** Block tables for a new sequence, empty. */
  SequenceBlocks newSequence() {
    return new SequenceBlocks(pools.size());
  }

  /** Positions the smallest pool holds: what one sequence can reach at most. */
  long capacity() {
    long positions = Long.MAX_VALUE;
    for (int g = 0; g < pools.size(); g++) {
      if (windows[g] == 0) {
        positions = Math.min(positions, (long) pools.get(g).blockCount() * blockSize);
      }
    }
    return positions == Long.MAX_VALUE ? (long) pools.getFirst().blockCount() * blockSize : positions;
  }

  /** Share of prompt tokens, over all admissions, whose keys and values came from the prefix cache. */
  double prefixHitRate() {
    return queriedPromptTokens == 0 ? 0 : (double) reusedPromptTokens / queriedPromptTokens;
  }

  long reusedPromptTokens() {
    return reusedPromptTokens;
  }

  /** Changes when blocks come back or prefixes are registered; see {@link BlockPool#changes()}. */
  long version() {
    long changes = 0;
    for (BlockPool pool : pools) {
      changes += pool.changes();
    }
    return changes;
  }

  /** First block of group {@code g} a query at {@code position} still attends to. */
  private int firstVisibleBlock(int g, int position) {
    return windows[g] == 0 ? 0 : Math.max(0, position - windows[g] + 1) / blockSize;
  }

  /**
   * Reuses cached blocks for the longest prefix of {@code tokens} (whole blocks, leaving at least the
   * last token to compute). Returns the positions covered, which need no computation.
   */
  int reusePrefix(SequenceBlocks blocks, int[] tokens) {
    int maxBlocks = (tokens.length - 1) / blockSize;
    long[] hashes = new long[maxBlocks];
    int[][] contents = new int[maxBlocks][];
    long hash = 0x9E3779B97F4A7C15L;
    int matched = 0;
    for (int b = 0; b < maxBlocks; b++) {
      contents[b] = Arrays.copyOfRange(tokens, b * blockSize, (b + 1) * blockSize);
      hash = chain(hash, contents[b]);
      hashes[b] = hash;
      if (!fullGroupsHold(hashes[b], contents[b])) {
        break;
      }
      matched = b + 1;
    }
    // Sliding groups need the cached blocks inside the window of the first position to compute.
    while (matched > 0 && !slidingGroupsHold(hashes, contents, matched)) {
      matched--;
    }
    int start = matched * blockSize;
    for (int b = 0; b < matched; b++) {
      for (int g = 0; g < pools.size(); g++) {
        blocks.tables.get(g).add(b >= firstVisibleBlock(g, start) ? pools.get(g).reuse(hashes[b], contents[b]) : -1);
      }
      blocks.hashes.add(hashes[b]);
    }
    for (int g = 0; g < pools.size(); g++) {
      blocks.released[g] = Math.min(firstVisibleBlock(g, start), matched);
    }
    return start;
  }

  /** Counts an admitted prompt for the hit rate. */
  void countPrompt(int promptTokens, int reused) {
    queriedPromptTokens += promptTokens;
    reusedPromptTokens += Math.min(reused, promptTokens);
  }

  private boolean fullGroupsHold(long hash, int[] content) {
    for (int g = 0; g < pools.size(); g++) {
      if (windows[g] == 0 && !pools.get(g).contains(hash, content)) {
        return false;
      }
    }
    return true;
  }

  private boolean slidingGroupsHold(long[] hashes, int[][] contents, int matched) {
    for (int g = 0; g < pools.size(); g++) {
      if (windows[g] == 0) {
        continue;
      }
      for (int b = firstVisibleBlock(g, matched * blockSize); b < matched; b++) {
        if (!pools.get(g).contains(hashes[b], contents[b])) {
          return false;
        }
      }
    }
    return true;
  }

  /** Blocks every pool must hand out for the tables to cover {@code positions}. */
  boolean canGrow(SequenceBlocks blocks, int positions) {
    int needed = Math.max(0, (positions + blockSize - 1) / blockSize - blocks.blocks());
    return pools.stream().allMatch(pool -> pool.available() >= needed);
  }

  /** Extends the tables to cover {@code positions}; false (and no change) when a pool is short. */
  boolean grow(SequenceBlocks blocks, int positions) {
    if (!canGrow(blocks, positions)) {
      return false;
    }
    while (blocks.blocks() * blockSize < positions) {
      for (int g = 0; g < pools.size(); g++) {
        blocks.tables.get(g).add(pools.get(g).allocate());
      }
    }
    return true;
  }

  /**
   * After {@code computed} positions of {@code tokens} are in the cache: registers newly completed blocks
   * in the prefix cache, and releases sliding blocks that no later query can see.
   */
  void afterStep(SequenceBlocks blocks, int[] tokens, int computed) {
    for (int b = blocks.hashes.size(); b < computed / blockSize; b++) {
      int[] content = Arrays.copyOfRange(tokens, b * blockSize, (b + 1) * blockSize);
      long hash = chain(b == 0 ? 0x9E3779B97F4A7C15L : blocks.hashes.get(b - 1), content);
      blocks.hashes.add(hash);
      for (int g = 0; g < pools.size(); g++) {
        int block = blocks.tables.get(g).get(b);
        if (block >= 0) {
          pools.get(g).register(block, hash, content);
        }
      }
    }
    for (int g = 0; g < pools.size(); g++) {
      if (windows[g] == 0) {
        continue;
      }
      List<Integer> table = blocks.tables.get(g);
      int firstNeeded = Math.min(firstVisibleBlock(g, computed), table.size());
      for (int b = blocks.released[g]; b < firstNeeded; b++) {
        int block = table.get(b);
        if (block >= 0) {
          pools.get(g).release(block);
          table.set(b, -1);
        }
      }
      blocks.released[g] = Math.max(blocks.released[g], firstNeeded);
    }
  }

  /** Returns every block of a finished, cancelled or preempted sequence. */
  void free(SequenceBlocks blocks) {
    for (int g = 0; g < pools.size(); g++) {
      BlockPool pool = pools.get(g);
      blocks.tables.get(g).stream().filter(b -> b >= 0).forEach(pool::release);
      blocks.tables.get(g).clear();
      blocks.released[g] = 0;
    }
    blocks.hashes.clear();
  }

  /** Every group's blocks of positions {@code [0, positions)}; -1 for blocks a sliding group released. */
  int[][] tables(SequenceBlocks blocks, int positions) {
    int[][] tables = new int[pools.size()][];
    for (int g = 0; g < tables.length; g++) {
      tables[g] = tableSlice(blocks, g, 0, positions);
    }
    return tables;
  }

  /** Group {@code group}'s blocks from table index {@code from} to the last one covering {@code positions}. */
  int[] tableSlice(SequenceBlocks blocks, int group, int from, int positions) {
    List<Integer> table = blocks.tables.get(group);
    int[] slice = new int[Math.max(0, blocksFor(positions) - from)];
    for (int b = 0; b < slice.length; b++) {
      slice[b] = table.get(from + b);
    }
    return slice;
  }

  /** Blocks that cover {@code positions} positions. */
  int blocksFor(int positions) {
    return (positions + blockSize - 1) / blockSize;
  }

  /** A 64-bit hash of a block's tokens chained to its predecessor's hash (splitmix64 mixing). */
  static long chain(long previous, int[] tokens) {
    long h = previous;
    for (int t : tokens) {
      h = mix(h ^ (t & 0xFFFFFFFFL) * 0x9E3779B97F4A7C15L);
    }
    return mix(h + tokens.length);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
