package dev.gemma4j.spi;

import java.util.List;

/**
 * What attention needs to know about one batched step, in the form paged-attention kernels take it:
 * where each sequence's query rows start, how long its context is after this step, and per KV-cache group
 * its block tables and window. Sequence {@code s} owns rows {@code [queryStart[s], queryStart[s + 1])},
 * which are the positions {@code [contextLength[s] - queryLength(s), contextLength[s])}; their keys and
 * values are written to the cache before attention, and a query at position {@code p} sees the keys at
 * positions {@code k <= p}, in a sliding-window group only those with {@code k > p - window}.
 *
 * @param blockSize token positions per cache block
 * @param windows per group, the window of its layers; 0 for full attention
 * @param queryStart {@code [sequences + 1]}: first row of each sequence, then the total row count
 * @param contextLength {@code [sequences]}: positions in the cache once this step's are written
 * @param tables per group, the block tables of the step's sequences
 */
public record AttentionBatch(
    int blockSize, int[] windows, int[] queryStart, int[] contextLength, List<BlockTables> tables) {

  /** Checks that the arrays agree. */
  public AttentionBatch {
    tables = List.copyOf(tables);
    if (windows.length != tables.size()) {
      throw new IllegalArgumentException(windows.length + " windows for " + tables.size() + " groups of block tables");
    }
    int n = contextLength.length;
    if (queryStart.length != n + 1 || queryStart[0] != 0) {
      throw new IllegalArgumentException("queryStart must hold " + (n + 1) + " row offsets from 0");
    }
    for (int s = 0; s < n; s++) {
      int q = queryStart[s + 1] - queryStart[s];
      if (q < 1 || q > contextLength[s]) {
        throw new IllegalArgumentException("sequence " + s + " has " + q + " query rows and a context of "
            + contextLength[s]);
      }
    }
  }

  /** Sequences in the step. */
  public int sequences() {
    return contextLength.length;
  }

  /** Query rows of the whole step. */
  public int rows() {
    return queryStart[sequences()];
  }

  /** Query rows of sequence {@code s}. */
  public int queryLength(int s) {
    return queryStart[s + 1] - queryStart[s];
  }

  /** Position of the first query row of sequence {@code s}. */
  public int firstQueryPosition(int s) {
    return contextLength[s] - queryLength(s);
  }

  /** KV-cache groups the step has tables for. */
  public int groups() {
    return windows.length;
  }

  /** The window of group {@code group}; 0 for full attention. */
  public int window(int group) {
    return windows[group];
  }

  /** The block tables of group {@code group}. */
  public BlockTables tables(int group) {
    return tables.get(group);
  }

  /** The first key position any query of sequence {@code s} sees in group {@code group}. */
  public int firstVisibleKey(int s, int group) {
    return windows[group] > 0 ? Math.max(0, firstQueryPosition(s) - windows[group] + 1) : 0;
  }

  /** The cache slot ({@code block * blockSize + offset}) of position {@code p} of sequence {@code s}. */
  public int slot(int s, int p, int group) {
    int block = tables(group).block(s, p / blockSize);
    if (block < 0) {
      throw new IllegalStateException("sequence " + s + " has no block in KV-cache group " + group + " for position " + p);
    }
    return block * blockSize + p % blockSize;
  }

  /** For every query row of the step, the slot that receives its key and value in group {@code group}. */
  public int[] writeSlots(int group) {
    int[] slots = new int[rows()];
    for (int s = 0; s < sequences(); s++) {
      int first = firstQueryPosition(s);
      for (int r = 0; r < queryLength(s); r++) {
        slots[queryStart[s] + r] = slot(s, first + r, group);
      }
    }
    return slots;
  }

  /** The slots of the keys sequence {@code s} reads in group {@code group}, in position order. */
  public int[] keySlots(int s, int group) {
    int from = firstVisibleKey(s, group);
    int[] slots = new int[contextLength[s] - from];
    for (int p = from; p < contextLength[s]; p++) {
      slots[p - from] = slot(s, p, group);
    }
    return slots;
  }

  /**
   * The dense additive mask of sequence {@code s} in group {@code group}, for backends whose attention takes
   * one: row-major {@code [queryLength(s), keySlots(s, group).length]}, 0 where the query sees the key and
   * negative infinity elsewhere.
   */
  public float[] additiveMask(int s, int group) {
    int from = firstVisibleKey(s, group);
    int keys = contextLength[s] - from;
    int queries = queryLength(s);
    int first = firstQueryPosition(s);
    long reach = windows[group] > 0 ? windows[group] : Long.MAX_VALUE;
    float[] mask = new float[queries * keys];
    for (int r = 0; r < queries; r++) {
      long query = first + r;
      for (int j = 0; j < keys; j++) {
        long key = from + j;
        mask[r * keys + j] = key <= query && key > query - reach ? 0f : Float.NEGATIVE_INFINITY;
      }
    }
    return mask;
  }
}
