package dev.gemma4j.spi;

/**
 * One group of a KV cache: layers that share block tables and a shape (vLLM's KV cache groups). A group's
 * layers each hold {@code blocks} blocks of {@code blockSize} token positions, each position
 * {@code kvHeads * headDim} keys and as many values. A sliding-window group ({@code window > 0}) keeps only
 * what its window can still see, so its pool can be far smaller than a full-attention group's.
 *
 * @param window keys a query sees on these layers, its own included; 0 for full attention
 * @param blockSize token positions per block
 * @param blocks blocks of each layer of the group
 * @param kvHeads key/value heads
 * @param headDim elements per head
 */
public record KvCacheGroup(int window, int blockSize, int blocks, int kvHeads, int headDim) {

  /** Validates the sizes. */
  public KvCacheGroup {
    if (window < 0 || blockSize < 1 || blocks < 0 || kvHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("invalid KV-cache group: window " + window + ", block size " + blockSize
          + ", " + blocks + " blocks, " + kvHeads + " heads of " + headDim);
    }
  }

  /** Whether the group's layers attend to a sliding window. */
  public boolean sliding() {
    return window > 0;
  }

  /** Token positions of one layer: {@code blocks * blockSize}. */
  public long slots() {
    return (long) blocks * blockSize;
  }

  /** Keys (or values) per token position: {@code kvHeads * headDim}. */
  public int width() {
    return kvHeads * headDim;
  }

  /** This group with another block count. */
  public KvCacheGroup withBlocks(int count) {
    return new KvCacheGroup(window, blockSize, count, kvHeads, headDim);
  }
}
