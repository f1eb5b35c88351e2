package dev.gemma4j.internal.engine;

import java.util.Arrays;
import java.util.List;

/**
 * The bookkeeping of the paged KV cache, independent of the backend: one {@link BlockPool} for
 * full-attention layers and one for sliding layers (a sliding layer needs only its last {@code window}
 * positions, so its blocks are released as a sequence moves past them and its pool can be smaller).
 * Keeps each sequence's block tables, shares the blocks of identical prompt prefixes, and counts
 * prefix-cache hits. The scheduler allocates and frees through it; the engine reads its sizes for
 * admission checks and statistics.
 */
final class KvBlockManager {
  private final BlockPool full;
  private final BlockPool sliding;
  private final int blockSize;
  private final int window;
  private long queriedPromptTokens;
  private long reusedPromptTokens;

  KvBlockManager(int fullBlocks, int slidingBlocks, int blockSize, int window) {
    this.full = new BlockPool(fullBlocks, blockSize);
    this.sliding = new BlockPool(slidingBlocks, blockSize);
    this.blockSize = blockSize;
    this.window = window;
  }

  int blockSize() {
    return blockSize;
  }

  BlockPool fullPool() {
    return full;
  }

  BlockPool slidingPool() {
    return sliding;
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
    return full.changes() + sliding.changes();
  }

  /** First sliding-layer position a query at {@code position} still attends to. */
  private int firstVisible(int position) {
    return Math.max(0, position - window + 1);
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
      if (!full.contains(hash, contents[b])) {
        break;
      }
      matched = b + 1;
    }
    // Sliding layers need the cached blocks inside the window of the first position to compute.
    while (matched > 0 && !slidingAvailable(hashes, contents, matched)) {
      matched--;
    }
    int start = matched * blockSize;
    int firstSlidingBlock = firstVisible(start) / blockSize;
    for (int b = 0; b < matched; b++) {
      blocks.full.add(full.reuse(hashes[b], contents[b]));
      blocks.sliding.add(b >= firstSlidingBlock ? sliding.reuse(hashes[b], contents[b]) : -1);
      blocks.hashes.add(hashes[b]);
    }
    blocks.slidingReleased = Math.min(firstSlidingBlock, matched);
    return start;
  }

  /** Counts an admitted prompt for the hit rate. */
  void countPrompt(int promptTokens, int reused) {
    queriedPromptTokens += promptTokens;
    reusedPromptTokens += Math.min(reused, promptTokens);
  }

  private boolean slidingAvailable(long[] hashes, int[][] contents, int matched) {
    for (int b = firstVisible(matched * blockSize) / blockSize; b < matched; b++) {
      if (!sliding.contains(hashes[b], contents[b])) {
        return false;
      }
    }
    return true;
  }

  /** Blocks both pools must hand out for the tables to cover {@code positions}. */
  boolean canGrow(SequenceBlocks blocks, int positions) {
    int needed = Math.max(0, (positions + blockSize - 1) / blockSize - blocks.blocks());
    return full.available() >= needed && sliding.available() >= needed;
  }

  /** Extends the tables to cover {@code positions}; false (and no change) when the pools are short. */
  boolean grow(SequenceBlocks blocks, int positions) {
    if (!canGrow(blocks, positions)) {
      return false;
    }
    while (blocks.blocks() * blockSize < positions) {
      blocks.full.add(full.allocate());
      blocks.sliding.add(sliding.allocate());
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
      full.register(blocks.full.get(b), hash, content);
      int s = blocks.sliding.get(b);
      if (s >= 0) {
        sliding.register(s, hash, content);
      }
    }
    int firstNeeded = firstVisible(computed) / blockSize;
    for (int b = blocks.slidingReleased; b < Math.min(firstNeeded, blocks.sliding.size()); b++) {
      int s = blocks.sliding.get(b);
      if (s >= 0) {
        sliding.release(s);
        blocks.sliding.set(b, -1);
      }
    }
    blocks.slidingReleased = Math.max(blocks.slidingReleased, Math.min(firstNeeded, blocks.sliding.size()));
  }

  /** Returns every block of a finished, cancelled or preempted sequence. */
  void free(SequenceBlocks blocks) {
    blocks.full.forEach(full::release);
    blocks.sliding.stream().filter(s -> s >= 0).forEach(sliding::release);
    blocks.full.clear();
    blocks.sliding.clear();
    blocks.hashes.clear();
    blocks.slidingReleased = 0;
  }

  /** The full-attention blocks of positions {@code [0, positions)}. */
  int[] fullTable(SequenceBlocks blocks, int positions) {
    return table(blocks.full, positions);
  }

  /** The sliding-layer blocks of positions {@code [0, positions)}; -1 for blocks already released. */
  int[] slidingTable(SequenceBlocks blocks, int positions) {
    return table(blocks.sliding, positions);
  }

  private int[] table(List<Integer> blocks, int positions) {
    int[] table = new int[(positions + blockSize - 1) / blockSize];
    for (int b = 0; b < table.length; b++) {
      table[b] = blocks.get(b);
    }
    return table;
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
