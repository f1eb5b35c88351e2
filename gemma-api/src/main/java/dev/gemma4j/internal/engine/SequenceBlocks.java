package dev.gemma4j.internal.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's block tables, one per KV-cache group, all indexed by the same block position: a
 * full-attention group holds every block from position 0; a sliding-window group the same positions, with
 * the blocks that fell out of its window released (-1). Also the prefix hashes of its completely filled
 * blocks.
 */
final class SequenceBlocks {
  final List<List<Integer>> tables = new ArrayList<>();
  final List<Long> hashes = new ArrayList<>();
  /** Per group, blocks at the start of its table that were released. */
  final int[] released;

  SequenceBlocks(int groups) {
    for (int g = 0; g < groups; g++) {
      tables.add(new ArrayList<>());
    }
    released = new int[groups];
  }

  /** Blocks in every table. */
  int blocks() {
    return tables.getFirst().size();
  }
}
