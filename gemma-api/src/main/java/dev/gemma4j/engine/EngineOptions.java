package dev.gemma4j.engine;

/**
 * Sizes of the batching engine and its KV cache.
 *
 * @param blockSize token positions per KV-cache block; 0 takes the backend's preference (16 on the CPU,
 *     128 on the NPU)
 * @param kvCacheTokens token positions the KV cache holds; 0 sizes it from {@code kvCacheMemoryFraction}
 * @param kvCacheMemoryFraction share of the device's free memory (after the weights are loaded) given to
 *     the KV cache when {@code kvCacheTokens} is 0
 * @param maxBatchSize the most sequences one step runs
 * @param maxBatchTokens the most tokens one step runs; longer prompts are prefilled in chunks
 * @param queueCapacity requests that may wait; beyond it, submissions are rejected
 */
public record EngineOptions(
    int blockSize,
    int kvCacheTokens,
    double kvCacheMemoryFraction,
    int maxBatchSize,
    int maxBatchTokens,
    int queueCapacity) {

  /** Validates the sizes. */
  public EngineOptions {
    if (blockSize < 0 || kvCacheTokens < 0 || maxBatchSize < 1 || maxBatchTokens < 1 || queueCapacity < 1) {
      throw new IllegalArgumentException(
          "engine sizes must be positive (kvCacheTokens may be 0 for automatic): " + this);
    }
    if (!(kvCacheMemoryFraction > 0 && kvCacheMemoryFraction <= 0.95)) {
      throw new IllegalArgumentException(
          "kvCacheMemoryFraction must be in (0, 0.95], was " + kvCacheMemoryFraction);
    }
  }

  /** The backend's block size, 30% of free memory, batches of up to 32 sequences and 512 tokens. */
  public static EngineOptions defaults() {
    return new EngineOptions(0, 0, 0.3, 32, 512, 1024);
  }

  /** These options with the block size resolved: {@code preferred} when none was chosen. */
  public EngineOptions withDefaultBlockSize(int preferred) {
    return blockSize > 0 ? this : withBlockSize(preferred);
  }

  /** These options with an explicit KV-cache size in tokens. */
  public EngineOptions withKvCacheTokens(int tokens) {
    return new EngineOptions(blockSize, tokens, kvCacheMemoryFraction, maxBatchSize, maxBatchTokens, queueCapacity);
  }

  /** These options with another batch limit. */
  public EngineOptions withMaxBatchSize(int sequences) {
    return new EngineOptions(blockSize, kvCacheTokens, kvCacheMemoryFraction, sequences, maxBatchTokens, queueCapacity);
  }

  /** These options with another token budget per step. */
  public EngineOptions withMaxBatchTokens(int tokens) {
    return new EngineOptions(blockSize, kvCacheTokens, kvCacheMemoryFraction, maxBatchSize, tokens, queueCapacity);
  }

  /** These options with another queue capacity. */
  public EngineOptions withQueueCapacity(int requests) {
    return new EngineOptions(blockSize, kvCacheTokens, kvCacheMemoryFraction, maxBatchSize, maxBatchTokens, requests);
  }

  /** These options with another share of free memory for the KV cache. */
  public EngineOptions withKvCacheMemoryFraction(double fraction) {
    return new EngineOptions(blockSize, kvCacheTokens, fraction, maxBatchSize, maxBatchTokens, queueCapacity);
  }

  /** These options with another block size. */
  public EngineOptions withBlockSize(int size) {
    return new EngineOptions(size, kvCacheTokens, kvCacheMemoryFraction, maxBatchSize, maxBatchTokens, queueCapacity);
  }
}
