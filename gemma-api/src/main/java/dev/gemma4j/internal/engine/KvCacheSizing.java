package dev.gemma4j.internal.engine;

import dev.gemma4j.GemmaException;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.internal.ByteSizes;

/**
 * How many blocks each pool gets. Sliding layers keep at most their window per sequence, so their pool
 * is capped at what {@code maxBatchSize} sequences can hold inside the window; the memory saved goes to
 * the full-attention pool. Without an explicit size, the cache takes {@code kvCacheMemoryFraction} of
 * the device's free memory. Sizes use the bytes per element the backend stores (4 for float32, 2 for
 * bfloat16), and an explicit size that does not fit in free memory is refused before anything is
 * allocated.
 *
 * @param fullBlocks blocks for full-attention layers
 * @param slidingBlocks blocks for sliding layers
 */
record KvCacheSizing(int fullBlocks, int slidingBlocks) {

  static KvCacheSizing of(ModelConfig config, EngineOptions options, long freeBytes, int bytesPerElement) {
    int blockSize = options.blockSize();
    long perLayerToken = 2L * config.numKvHeads() * config.headDim() * bytesPerElement;
    long slidingLayers = config.layerTypes().stream().filter(t -> t == LayerType.SLIDING).count();
    long fullLayers = config.numLayers() - slidingLayers;
    long slidingCap =
        slidingLayers == 0 || config.slidingWindow() >= config.maxPositions()
            ? Long.MAX_VALUE
            : (long) options.maxBatchSize() * (config.slidingWindow() + options.maxBatchTokens() + 2L * blockSize);
    long fullTokens;
    long slidingTokens;
    if (options.kvCacheTokens() > 0) {
      fullTokens = options.kvCacheTokens();
      slidingTokens = Math.min(fullTokens, slidingCap);
      long bytes = perLayerToken * (fullTokens * fullLayers + slidingTokens * slidingLayers);
      if (bytes > freeBytes) {
        throw new GemmaException(
            "a KV cache of " + fullTokens + " tokens needs " + ByteSizes.format(bytes) + " (" + perLayerToken
                + " bytes per token and layer) but only " + ByteSizes.format(freeBytes) + " are free; lower"
                + " kvCacheTokens (--kv-cache-tokens) or leave it at 0 to size the cache from free memory");
      }
    } else {
      long budget = (long) (freeBytes * options.kvCacheMemoryFraction());
      long shared = budget / Math.max(1, perLayerToken * (fullLayers + slidingLayers));
      slidingTokens = Math.min(shared, slidingCap);
      fullTokens = fullLayers == 0 ? shared : (budget - slidingTokens * perLayerToken * slidingLayers) / (perLayerToken * fullLayers);
      long atLeast = Math.min(config.maxPositions(), 2048);
      long atMost = (long) config.maxPositions() * options.maxBatchSize();
      fullTokens = Math.max(atLeast, Math.min(atMost, fullTokens));
      slidingTokens = Math.max(Math.min(atLeast, slidingCap), Math.min(slidingTokens, fullTokens));
    }
    return new KvCacheSizing(blocks(fullTokens, blockSize), blocks(slidingTokens, blockSize));
  }

  private static int blocks(long tokens, int blockSize) {
    return Math.toIntExact(Math.min(Integer.MAX_VALUE / blockSize, (tokens + blockSize - 1) / blockSize));
  }
}
