package dev.gemma4j.internal.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's block tables: for full-attention layers every block from position 0; for sliding
 * layers the same positions, where blocks that fell out of the window are released (-1). Also the
 * prefix hashes of its completely filled blocks.
 */
final class SequenceBlocks {
  final List<Integer> full = new ArrayList<>();
  final List<Integer> sliding = new ArrayList<>();
  final List<Long> hashes = new ArrayList<>();
  /** Blocks at the start of {@link #sliding} that were released. */
  int slidingReleased;

  int blocks() {
    return full.size();
  }
}
