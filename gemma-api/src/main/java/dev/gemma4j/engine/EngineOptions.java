package dev.gemma4j.engine;

/**
 * Sizes of the batching engine and its KV cache.
 *
 * @param blockSize token positions per KV-cache block; 0 takes the backend's preference (16 on the CPU,
 *     128 on the NPU)
 * @param kvCacheTokens token positions the KV cache holds; 0 sizes it from {@code kvCacheMemoryFraction}
 * @param kvCacheMemoryFraction share of the device's free memory (after the weights are loaded) given to
 *     the KV cache when {@code kvCacheTokens} is 0
 * @param maxBatchSize the most sequences one step runs, 1 to {@value #MAX_BATCH_SIZE}; 0 (the default) sizes
 *     it for the device: the backend's preference ({@value #DEFAULT_MAX_BATCH_SIZE} on the CPU, 256 on an
 *     NPU), lowered until a step's temporaries take at most a tenth of the memory the weights leave, and to
 *     the KV cache's blocks
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

  /** Sequences one step runs where a backend states no preference, and where nothing sized the batch. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 32;
  /** The most sequences a step may be asked to run (vLLM's default on a GPU is 256). */
  public static final int MAX_BATCH_SIZE = 4096;

  /** Validates the sizes. */
  public EngineOptions {
    if (maxBatchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException("maxBatchSize must be at most " + MAX_BATCH_SIZE + ", was " + maxBatchSize);
    }
    if (blockSize < 0 || kvCacheTokens < 0 || maxBatchSize < 0 || maxBatchTokens < 1 || queueCapacity < 1) {
      throw new IllegalArgumentException(
          "engine sizes must be positive (blockSize, kvCacheTokens and maxBatchSize may be 0 for automatic): " + this);
    }
    if (!(kvCacheMemoryFraction > 0 && kvCacheMemoryFraction <= 0.95)) {
      throw new IllegalArgumentException(
          "kvCacheMemoryFraction must be in (0, 0.95], was " + kvCacheMemoryFraction);
    }
  }

  /** The backend's block size, 30% of free memory, a batch sized for the device, 512 tokens a step. */
  public static EngineOptions defaults() {
    return new EngineOptions(0, 0, 0.3, 0, 512, 1024);
  }

  /** These options with the batch size resolved: {@code sized} when none was chosen. */
  public EngineOptions withDefaultMaxBatchSize(int sized) {
    return maxBatchSize > 0 ? this : withMaxBatchSize(sized);
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
