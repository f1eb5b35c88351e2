package dev.gemma4j.internal.engine;

import dev.gemma4j.GemmaException;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.internal.ByteSizes;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The KV cache's arithmetic over its groups, in one place: how many blocks each group gets
 * ({@link #size}), the smallest cache the memory check counts ({@link #minimumBytes}), and how many blocks a
 * request needs to run alone ({@link #blocksNeeded}, the admission check).
 *
 * <p>A sliding-window group keeps at most its window per sequence, so its pool is capped at what
 * {@code maxBatchSize} sequences can hold inside the window plus a step's chunk; the memory saved goes to
 * the full-attention groups, which share the rest in equal tokens. Without an explicit size the cache takes
 * {@code kvCacheMemoryFraction} of the device's free memory. Sizes use the bytes per element the backend
 * stores (4 for float32, 2 for bfloat16), and an explicit size that does not fit is refused before anything
 * is allocated.
 */
final class KvCachePlanner {
  private KvCachePlanner() {}

  /** Tokens a group needs to hold at most for the batch: unbounded for full attention. */
  static long tokenCap(KvCacheGroup group, ModelConfig config, EngineOptions options) {
    if (!group.sliding() || group.window() >= config.maxPositions()) {
      return Long.MAX_VALUE;
    }
    return (long) options.maxBatchSize() * (group.window() + options.maxBatchTokens() + 2L * group.blockSize());
  }

  /** {@code layout}'s groups with their block counts, from the options and {@code freeBytes}. */
  static KvCacheSpec size(KvCacheSpec layout, ModelConfig config, EngineOptions options, long freeBytes, int bytesPerElement) {
    List<KvCacheGroup> groups = layout.groups();
    long[] tokens = new long[groups.size()];
    if (options.kvCacheTokens() > 0) {
      for (int g = 0; g < tokens.length; g++) {
        tokens[g] = Math.min(options.kvCacheTokens(), tokenCap(groups.get(g), config, options));
      }
      long bytes = bytes(layout, tokens, bytesPerElement);
      if (bytes > freeBytes) {
        throw new GemmaException(
            "a KV cache of " + options.kvCacheTokens() + " tokens needs " + ByteSizes.format(bytes) + " ("
                + bytesPerToken(layout, bytesPerElement) + " bytes per token over all layers) but only "
                + ByteSizes.format(freeBytes) + " are free; lower EngineOptions.kvCacheTokens or leave it"
                + " at 0 to size the cache from free memory");
      }
    } else {
      long budget = (long) (freeBytes * options.kvCacheMemoryFraction());
      long shared = budget / Math.max(1, bytesPerToken(layout, bytesPerElement));
      long cappedBytes = 0;
      long uncappedPerToken = 0;
      for (int g = 0; g < tokens.length; g++) {
        long cap = tokenCap(groups.get(g), config, options);
        if (cap != Long.MAX_VALUE) {
          tokens[g] = Math.min(shared, cap);
          cappedBytes += tokens[g] * groupBytesPerToken(layout, g, bytesPerElement);
        } else {
          uncappedPerToken += groupBytesPerToken(layout, g, bytesPerElement);
        }
      }
      long fullTokens = uncappedPerToken == 0 ? shared : (budget - cappedBytes) / uncappedPerToken;
      long atLeast = Math.min(config.maxPositions(), 2048);
      long atMost = (long) config.maxPositions() * options.maxBatchSize();
      fullTokens = Math.max(atLeast, Math.min(atMost, fullTokens));
      for (int g = 0; g < tokens.length; g++) {
        long cap = tokenCap(groups.get(g), config, options);
        tokens[g] = cap == Long.MAX_VALUE ? fullTokens : Math.max(Math.min(atLeast, cap), Math.min(tokens[g], fullTokens));
      }
    }
    List<KvCacheGroup> sized = new ArrayList<>();
    for (int g = 0; g < tokens.length; g++) {
      sized.add(groups.get(g).withBlocks(blocks(tokens[g], groups.get(g).blockSize())));
    }
    return new KvCacheSpec(layout.layerGroups(), sized);
  }

  /**
   * Bytes of the smallest cache the engine runs with: {@code kvCacheTokens}, else 2,048 tokens (or the
   * context, if shorter), each group capped as {@link #size} caps it.
   */
  static long minimumBytes(KvCacheSpec layout, ModelConfig config, EngineOptions options, int bytesPerElement) {
    long wanted = options.kvCacheTokens() > 0 ? options.kvCacheTokens() : Math.min(config.maxPositions(), 2048);
    long[] tokens = new long[layout.groups().size()];
    for (int g = 0; g < tokens.length; g++) {
      tokens[g] = Math.min(wanted, tokenCap(layout.groups().get(g), config, options));
    }
    return bytes(layout, tokens, bytesPerElement);
  }

  /** Blocks group {@code group} must hold for a sequence of {@code positions} positions to run alone. */
  static int blocksNeeded(KvCacheGroup group, int positions, EngineOptions options) {
    int all = (positions + group.blockSize() - 1) / group.blockSize();
    return group.sliding() ? Math.min(all, (group.window() + options.maxBatchTokens()) / group.blockSize() + 2) : all;
  }

  private static long groupBytesPerToken(KvCacheSpec layout, int group, int bytesPerElement) {
    return 2L * layout.groups().get(group).width() * bytesPerElement * layout.layersIn(group);
  }

  private static long bytesPerToken(KvCacheSpec layout, int bytesPerElement) {
    long total = 0;
    for (int g = 0; g < layout.groups().size(); g++) {
      total += groupBytesPerToken(layout, g, bytesPerElement);
    }
    return total;
  }

  private static long bytes(KvCacheSpec layout, long[] tokens, int bytesPerElement) {
    long total = 0;
    for (int g = 0; g < tokens.length; g++) {
      total += tokens[g] * groupBytesPerToken(layout, g, bytesPerElement);
    }
    return total;
  }

  private static int blocks(long tokens, int blockSize) {
    return Math.toIntExact(Math.min(Integer.MAX_VALUE / blockSize, (tokens + blockSize - 1) / blockSize));
  }
}
