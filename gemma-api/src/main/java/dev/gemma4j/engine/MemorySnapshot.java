package dev.gemma4j.engine;

/**
 * Memory at one moment, as a backend sees it.
 *
 * @param device the device measured, e.g. {@code cpu} or {@code Ascend910B3 (npu:0)}
 * @param totalBytes the device's total memory (host RAM for the CPU)
 * @param freeBytes what the device reports free (available RAM for the CPU)
 * @param usedBytes what this process uses now (resident set for the CPU, allocated HBM for the NPU)
 * @param peakBytes the most this process has used since start or the last reset
 * @param weightBytes bytes this SDK holds for model weights
 * @param kvCacheBytes bytes this SDK holds for the KV cache
 * @param heapUsedBytes JVM heap in use
 */
public record MemorySnapshot(
    String device,
    long totalBytes,
    long freeBytes,
    long usedBytes,
    long peakBytes,
    long weightBytes,
    long kvCacheBytes,
    long heapUsedBytes) {}
