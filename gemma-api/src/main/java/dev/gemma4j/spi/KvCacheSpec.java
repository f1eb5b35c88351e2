package dev.gemma4j.spi;

import dev.gemma4j.config.LayerType;
import java.util.List;

/**
 * What a backend allocates for the KV cache: per layer, blocks of {@code blockSize} token positions,
 * each position holding {@code kvHeads * headDim} keys and as many values. Full-attention layers get
 * {@code fullBlocks} blocks, sliding layers (which keep only their window) {@code slidingBlocks}.
 *
 * @param layers the kind of every layer, in order
 * @param blockSize token positions per block
 * @param fullBlocks blocks of each full-attention layer
 * @param slidingBlocks blocks of each sliding-window layer
 * @param kvHeads key/value heads
 * @param headDim elements per head
 */
public record KvCacheSpec(
    List<LayerType> layers, int blockSize, int fullBlocks, int slidingBlocks, int kvHeads, int headDim) {

  /** Validates the sizes. */
  public KvCacheSpec {
    layers = List.copyOf(layers);
    if (blockSize < 1 || fullBlocks < 0 || slidingBlocks < 0 || kvHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("invalid KV-cache spec: " + layers.size() + " layers, block size "
          + blockSize + ", " + fullBlocks + "/" + slidingBlocks + " blocks, " + kvHeads + " heads of " + headDim);
    }
  }

  /** Blocks of a layer of this kind. */
  public int blocks(LayerType type) {
    return type == LayerType.SLIDING ? slidingBlocks : fullBlocks;
  }

  /** Token positions ({@code blocks * blockSize}) of a layer of this kind. */
  public long slots(LayerType type) {
    return (long) blocks(type) * blockSize;
  }

  /** Keys (or values) per token position: {@code kvHeads * headDim}. */
  public int width() {
    return kvHeads * headDim;
  }

  /** Bytes of the whole cache, keys and values of every layer, at {@code bytesPerElement}. */
  public long bytes(int bytesPerElement) {
    long total = 0;
    for (LayerType type : layers) {
      total += 2L * slots(type) * width() * bytesPerElement;
    }
    return total;
  }
}
