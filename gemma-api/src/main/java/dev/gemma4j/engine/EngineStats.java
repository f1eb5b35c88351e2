package dev.gemma4j.engine;

import dev.gemma4j.engine.DeviceCounters;
import java.util.List;

/**
 * The batching engine and its KV cache at one moment.
 *
 * @param blockSize token positions per block
 * @param kvCacheGroups each KV-cache group's pool: a full-attention group first, then sliding-window ones
 * @param kvCacheBytes bytes of the KV cache on the device
 * @param running sequences in the running batch
 * @param waiting requests waiting for admission
 * @param prefixHitRate share of prompt tokens served from the prefix cache
 * @param preemptions sequences preempted (freed and recomputed later) for lack of blocks
 * @param steps forward steps run
 * @param decodeSteps steps in which every sequence decoded one token (no prompt chunk)
 * @param decodeCounters what the device did in those steps, summed (all zero where the backend does not
 *     count, as on the CPU); divided by {@code decodeSteps} it is the cost of one decode step
 */
public record EngineStats(
    int blockSize,
    List<KvCacheGroupStats> kvCacheGroups,
    long kvCacheBytes,
    int running,
    int waiting,
    double prefixHitRate,
    long preemptions,
    long steps,
    long decodeSteps,
    DeviceCounters decodeCounters) {

  /** Copies the groups. */
  public EngineStats {
    kvCacheGroups = List.copyOf(kvCacheGroups);
  }

  /** Blocks referenced by sequences now, over every group. */
  public int blocksInUse() {
    return kvCacheGroups.stream().mapToInt(KvCacheGroupStats::blocksInUse).sum();
  }

  /**
   * The group that bounds how long sequences can grow: the full-attention group with the fewest blocks, else
   * the first group; all zeros for an engine without a cache of its own (the remote engine).
   */
  public KvCacheGroupStats longestContextGroup() {
    return kvCacheGroups.stream().filter(g -> !g.sliding())
        .min(java.util.Comparator.comparingInt(KvCacheGroupStats::blocks))
        .orElse(kvCacheGroups.isEmpty() ? new KvCacheGroupStats(0, 0, 0, 0, 0) : kvCacheGroups.getFirst());
  }
}
