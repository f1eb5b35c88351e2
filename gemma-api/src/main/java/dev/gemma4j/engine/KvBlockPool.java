package dev.gemma4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** Fixed-size blocks of KV-cache slots; a sequence's block table maps its positions to slots. */
final class KvBlockPool {
  private final int blockSize;
  private final int blockCount;
  private final Deque<Integer> free = new ArrayDeque<>();
  private int peakUsed;

  KvBlockPool(int blockCount, int blockSize) {
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    for (int b = 0; b < blockCount; b++) {
      free.add(b);
    }
  }

  int blockSize() {
    return blockSize;
  }

  int blockCount() {
    return blockCount;
  }

  int freeBlocks() {
    return free.size();
  }

  int peakUsedBlocks() {
    return peakUsed;
  }

  int blocksFor(int tokens) {
    return (tokens + blockSize - 1) / blockSize;
  }

  /** {@code count} blocks, or none when fewer are free. */
  List<Integer> allocate(int count) {
    if (count > free.size()) {
      return List.of();
    }
    List<Integer> blocks = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      blocks.add(free.poll());
    }
    peakUsed = Math.max(peakUsed, blockCount - free.size());
    return blocks;
  }

  void release(List<Integer> blocks) {
    free.addAll(blocks);
  }
}
