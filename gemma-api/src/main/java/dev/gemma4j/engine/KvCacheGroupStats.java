package dev.gemma4j.engine;

/**
 * One KV-cache group at one moment: layers sharing a window and a head shape, and their block pool.
 *
 * @param window keys a query sees on these layers, its own included; 0 for full attention
 * @param layers layers in the group
 * @param blocks blocks of the group's pool
 * @param blocksInUse blocks referenced by sequences now
 * @param peakBlocksInUse the most blocks referenced at once
 */
public record KvCacheGroupStats(int window, int layers, int blocks, int blocksInUse, int peakBlocksInUse) {
  /** Whether the group's layers attend to a sliding window. */
  public boolean sliding() {
    return window > 0;
  }
}
