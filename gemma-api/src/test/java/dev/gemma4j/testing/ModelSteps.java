package dev.gemma4j.testing;

import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.internal.model.ForwardBatch;
import dev.gemma4j.spi.KvCache;

/**
 * Runs a model's forward pass directly, for the golden tests of every backend: a KV cache with blocks of
 * one position, so a block table is a slot table, and the logits of a chunk.
 */
public final class ModelSteps {
  private ModelSteps() {}

  /** A KV cache holding {@code positions} positions per layer in blocks of one. */
  public static KvCache cache(DecoderModel<?> model, int positions) {
    return model.allocateKvCache(model.kvCacheSpec(1, positions));
  }

  /** Blocks {@code 0 .. n-1} in order. */
  public static int[] identity(int n) {
    int[] table = new int[n];
    for (int i = 0; i < n; i++) {
      table[i] = i;
    }
    return table;
  }

  /** Row-major logits {@code [ids.length, vocab]} of every position, run from position 0 in one step. */
  public static float[] allLogits(DecoderModel<?> model, KvCache cache, int[] ids) {
    return run(model, cache, ids, 0, identity(ids.length), ForwardBatch.Logits.ALL_HOST);
  }

  /** The logits of the last token of {@code chunk} at positions from {@code start}, through {@code table}. */
  public static float[] lastLogits(DecoderModel<?> model, KvCache cache, int[] chunk, int start, int[] table) {
    return run(model, cache, chunk, start, table, ForwardBatch.Logits.LAST_HOST);
  }

  private static float[] run(
      DecoderModel<?> model, KvCache cache, int[] chunk, int start, int[] table, ForwardBatch.Logits logits) {
    int[] used = java.util.Arrays.copyOf(table, (start + chunk.length + cache.spec().blockSize() - 1) / cache.spec().blockSize());
    ForwardBatch batch =
        ForwardBatch.builder(cache.spec())
            .add(chunk, start, used, logits)
            .build();
    return model.forward(batch, cache).hostLogits();
  }
}
