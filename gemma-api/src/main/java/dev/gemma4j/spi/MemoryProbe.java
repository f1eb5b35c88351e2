package dev.gemma4j.spi;

import dev.gemma4j.engine.MemorySnapshot;

/**
 * Reads a device's memory: total and free, what this process uses now and at its peak, and what the SDK
 * holds for weights and KV cache. For the CPU from the process (resident set and its high-water mark)
 * and the JVM; for the NPU from the driver.
 */
public interface MemoryProbe {
  /** The memory now. */
  MemorySnapshot snapshot();

  /** Starts a new peak measurement from the current usage, where the device allows it. */
  void resetPeak();
}
