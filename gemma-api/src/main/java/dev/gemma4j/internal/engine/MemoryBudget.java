package dev.gemma4j.internal.engine;

import dev.gemma4j.GemmaException;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.internal.ByteSizes;

/**
 * What a model needs on a device before anything is allocated: its weights, the smallest KV cache the
 * engine will run with, and the working memory of a step; checked against what the device has free, so
 * a model that cannot fit fails with both numbers and the ways out instead of being killed by the
 * operating system halfway through loading. {@code -Dgemma.memory.check=false} skips the check.
 *
 * @param weights bytes the weights occupy once loaded
 * @param kvCache bytes of the smallest KV cache the engine uses
 * @param working bytes of one step's activations and logits (or the device's step temporaries, where the
 *     backend reserves them), plus the runtime's own
 */
record MemoryBudget(long weights, long kvCache, long working) {
  /** The JVM, native libraries and tokenizer, beyond the model. */
  private static final long RUNTIME_BYTES = 512L << 20;

  /**
   * The budget of a model with these options; {@code kvCacheBytes} is the smallest cache the engine runs
   * with ({@link KvCachePlanner#minimumBytes}).
   */
  static MemoryBudget of(ModelConfig config, EngineOptions options, long weightBytes, long kvCacheBytes, long stepBytes) {
    long rows = options.maxBatchTokens();
    long activations =
        rows * (4L * config.hiddenSize() + 3L * config.intermediateSize()
            + (long) config.numHeads() * config.headDim()) * Float.BYTES;
    long logits = (long) options.maxBatchSize() * config.vocabSize() * Float.BYTES;
    return new MemoryBudget(weightBytes, kvCacheBytes, Math.max(activations + logits, stepBytes) + RUNTIME_BYTES);
  }

  long total() {
    return weights + kvCache + working;
  }

  /**
   * Fails when the budget exceeds {@code available} bytes on {@code device}.
   *
   * @throws GemmaException naming both numbers and what to do instead
   */
  void check(String model, String device, long available) {
    if (!"false".equalsIgnoreCase(System.getProperty("gemma.memory.check")) && total() > available) {
      throw new GemmaException(
          model + " needs about " + ByteSizes.format(total()) + " on " + device + " (weights "
              + ByteSizes.format(weights) + ", KV cache " + ByteSizes.format(kvCache) + ", working memory "
              + ByteSizes.format(working) + ") but only " + ByteSizes.format(available) + " are available."
              + " Ways out: " + (kvCache > weights
                  ? "a smaller KV cache (EngineOptions.kvCacheTokens), " : "")
              + "the model's AWQ 4-bit checkpoint (about a third of the bf16 size), a smaller model (such as"
              + " gemma-3-4b-it or gemma-2-2b-it), another backend (GemmaOptions.backend(\"npu\")), or freeing"
              + " memory; -Dgemma.memory.check=false skips this check");
    }
  }
}
