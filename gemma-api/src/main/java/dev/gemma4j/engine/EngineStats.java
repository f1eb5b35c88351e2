package dev.gemma4j.engine;

import dev.gemma4j.spi.DeviceCounters;

/**
 * The batching engine and its KV cache at one moment.
 *
 * @param blockSize token positions per block
 * @param fullBlocks blocks of the full-attention layers' pool
 * @param slidingBlocks blocks of the sliding layers' pool
 * @param fullBlocksInUse full-attention blocks referenced by sequences now
 * @param slidingBlocksInUse sliding blocks referenced by sequences now
 * @param peakFullBlocksInUse the most full-attention blocks referenced at once
 * @param peakSlidingBlocksInUse the most sliding blocks referenced at once
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
    int fullBlocks,
    int slidingBlocks,
    int fullBlocksInUse,
    int slidingBlocksInUse,
    int peakFullBlocksInUse,
    int peakSlidingBlocksInUse,
    long kvCacheBytes,
    int running,
    int waiting,
    double prefixHitRate,
    long preemptions,
    long steps,
    long decodeSteps,
    DeviceCounters decodeCounters) {}
