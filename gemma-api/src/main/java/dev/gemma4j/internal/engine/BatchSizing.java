package dev.gemma4j.internal.engine;

import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;

/**
 * The batch an engine runs when the options leave it to the device ({@code maxBatchSize} 0): the backend's
 * preference, lowered by quarters until a step's temporaries take at most a tenth of the memory the weights
 * leave (a card that holds a 9B model at 8K context does not reserve most of itself for 256 sequences), and
 * later to the KV cache's blocks, since each running sequence holds at least one.
 */
final class BatchSizing {
  /** The share of the memory left beside the weights that a step's temporaries may take. */
  static final double STEP_SHARE = 0.1;

  private BatchSizing() {}

  /** {@code options} with the batch sized for the device, where it was left to it. */
  static EngineOptions forDevice(EngineOptions options, Backend backend, ModelConfig config, long bytesBesideWeights) {
    if (options.maxBatchSize() > 0) {
      return options;
    }
    int sequences = Math.clamp(backend.preferredMaxBatchSize(), 1, EngineOptions.MAX_BATCH_SIZE);
    long allowed = (long) (Math.max(0, bytesBesideWeights) * STEP_SHARE);
    while (sequences > 1 && backend.ops().stepBytesFor(config, options.withMaxBatchSize(sequences)) > allowed) {
      sequences = Math.max(1, sequences * 3 / 4);
    }
    return options.withMaxBatchSize(sequences);
  }

  /**
   * {@code sized} with no more sequences than any KV-cache group has blocks (each running sequence holds at
   * least one in each), where the engine sized the batch.
   */
  static EngineOptions withinCache(EngineOptions sized, boolean automatic, KvCacheSpec cache) {
    int blocks = cache.groups().stream().mapToInt(KvCacheGroup::blocks).min().orElse(1);
    return automatic && sized.maxBatchSize() > blocks ? sized.withMaxBatchSize(Math.max(1, blocks)) : sized;
  }
}
