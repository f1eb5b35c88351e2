package dev.gemma4j.internal.engine;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Fixed-size blocks of KV-cache slots with reference counts and a prefix cache. A block holding a
 * complete run of tokens is registered under the hash of its whole prefix; later sequences with the same
 * prefix reuse it instead of recomputing. A block nobody references goes back to the free list, or, when
 * it is registered, to an LRU list from which it can still be reused until it is evicted for a new
 * allocation. Used by the engine thread only.
 */
final class BlockPool {
  private final int blockSize;
  private final int[] refCount;
  private final long[] hashOf;
  private final int[][] tokensOf;
  private final ArrayDeque<Integer> free = new ArrayDeque<>();
  private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>();
  private final Map<Long, Integer> cached = new HashMap<>();
  private int inUse;
  private int peakInUse;
  private long changes;

  BlockPool(int blockCount, int blockSize) {
    this.blockSize = blockSize;
    this.refCount = new int[blockCount];
    this.hashOf = new long[blockCount];
    this.tokensOf = new int[blockCount][];
    for (int b = 0; b < blockCount; b++) {
      free.add(b);
    }
  }

  int blockSize() {
    return blockSize;
  }

  int blockCount() {
    return refCount.length;
  }

  /** Blocks that can be handed out now: free ones and unreferenced cached ones. */
  int available() {
    return free.size() + evictable.size();
  }

  /** Blocks referenced by at least one sequence. */
  int inUse() {
    return inUse;
  }

  int peakInUse() {
    return peakInUse;
  }

  /**
   * Counts the events that can let a waiting request in: a block coming back or a prefix registered. A
   * request that did not fit need not be tried again until this changes.
   */
  long changes() {
    return changes;
  }

  /** A fresh block with one reference, evicting the least recently used cached block if needed; -1 if none. */
  int allocate() {
    Integer block = free.poll();
    if (block == null) {
      Iterator<Integer> oldest = evictable.iterator();
      if (!oldest.hasNext()) {
        return -1;
      }
      block = oldest.next();
      oldest.remove();
      cached.remove(hashOf[block]);
      tokensOf[block] = null;
    }
    refCount[block] = 1;
    inUse++;
    peakInUse = Math.max(peakInUse, inUse);
    return block;
  }

  /** The cached block of this prefix hash holding exactly {@code tokens}, with one more reference; -1 if none. */
  int reuse(long hash, int[] tokens) {
    Integer block = cached.get(hash);
    if (block == null || !Arrays.equals(tokensOf[block], tokens)) {
      return -1;
    }
    if (refCount[block]++ == 0) {
      evictable.remove(block);
      inUse++;
      peakInUse = Math.max(peakInUse, inUse);
    }
    return block;
  }

  /** Whether a block of this prefix hash holding {@code tokens} is cached. */
  boolean contains(long hash, int[] tokens) {
    Integer block = cached.get(hash);
    return block != null && Arrays.equals(tokensOf[block], tokens);
  }

  /** Registers a completely filled block under its prefix hash, unless another block already holds it. */
  void register(int block, long hash, int[] tokens) {
    if (tokensOf[block] != null || cached.containsKey(hash)) {
      return;
    }
    cached.put(hash, block);
    changes++;
    hashOf[block] = hash;
    tokensOf[block] = tokens.clone();
  }

  /** Drops one reference; an unreferenced block becomes evictable (if cached) or free. */
  void release(int block) {
    if (refCount[block] <= 0) {
      throw new IllegalStateException("block " + block + " released more often than referenced");
    }
    if (--refCount[block] == 0) {
      inUse--;
      changes++;
      if (tokensOf[block] != null) {
        evictable.add(block);
      } else {
        free.add(block);
      }
    }
  }
}
