package dev.gemma4j.spi;

import dev.gemma4j.config.LayerType;

/**
 * What attention needs to know about one batched step, in the form paged-attention kernels take it:
 * where each sequence's query rows start, how long its context is after this step, its block tables,
 * the block size and the sliding window. Sequence {@code s} owns rows
 * {@code [queryStart[s], queryStart[s + 1])}, which are the positions
 * {@code [contextLength[s] - queryLength(s), contextLength[s])}; their keys and values are written to the
 * cache before attention, and a query at position {@code p} sees the keys at positions {@code k <= p},
 * on sliding layers only those with {@code k > p - window}.
 *
 * @param blockSize token positions per cache block
 * @param window the sliding window of sliding layers
 * @param queryStart {@code [sequences + 1]}: first row of each sequence, then the total row count
 * @param contextLength {@code [sequences]}: positions in the cache once this step's are written
 * @param full block tables of full-attention layers
 * @param sliding block tables of sliding layers
 */
public record AttentionBatch(
    int blockSize, int window, int[] queryStart, int[] contextLength, BlockTables full, BlockTables sliding) {

  /** Checks that the arrays agree. */
  public AttentionBatch {
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

  /** The block tables of a layer kind. */
  public BlockTables tables(LayerType type) {
    return type == LayerType.SLIDING ? sliding : full;
  }

  /** The first key position any query of sequence {@code s} sees on a layer of this kind. */
  public int firstVisibleKey(int s, LayerType type) {
    return type == LayerType.SLIDING ? Math.max(0, firstQueryPosition(s) - window + 1) : 0;
  }

  /** The cache slot ({@code block * blockSize + offset}) of position {@code p} of sequence {@code s}. */
  public int slot(int s, int p, LayerType type) {
    int block = tables(type).block(s, p / blockSize);
    if (block < 0) {
      throw new IllegalStateException("sequence " + s + " has no " + type + " block for position " + p);
    }
    return block * blockSize + p % blockSize;
  }

  /** For every query row of the step, the slot that receives its key and value on this layer kind. */
  public int[] writeSlots(LayerType type) {
    int[] slots = new int[rows()];
    for (int s = 0; s < sequences(); s++) {
      int first = firstQueryPosition(s);
      for (int r = 0; r < queryLength(s); r++) {
        slots[queryStart[s] + r] = slot(s, first + r, type);
      }
    }
    return slots;
  }

  /** The slots of the keys sequence {@code s} reads on this layer kind, in position order. */
  public int[] keySlots(int s, LayerType type) {
    int from = firstVisibleKey(s, type);
    int[] slots = new int[contextLength[s] - from];
    for (int p = from; p < contextLength[s]; p++) {
      slots[p - from] = slot(s, p, type);
    }
    return slots;
  }

  /**
   * The dense additive mask of sequence {@code s} on this layer kind, for backends whose attention takes
   * one: row-major {@code [queryLength(s), keySlots(s, type).length]}, 0 where the query sees the key and
   * negative infinity elsewhere.
   */
  public float[] additiveMask(int s, LayerType type) {
    int from = firstVisibleKey(s, type);
    int keys = contextLength[s] - from;
    int queries = queryLength(s);
    int first = firstQueryPosition(s);
    long reach = type == LayerType.SLIDING ? window : Long.MAX_VALUE;
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
