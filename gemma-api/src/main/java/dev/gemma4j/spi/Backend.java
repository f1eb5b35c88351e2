package dev.gemma4j.spi;

import dev.gemma4j.engine.DeviceCounters;

/**
 * An opened backend: one device, the tensor operations that run on it, and its memory probe. Closing it
 * frees everything it allocated.
 */
public interface Backend extends AutoCloseable {
  /** The backend's name, as its provider reports it. */
  String name();

  /** The device in words, e.g. {@code cpu (2 threads, AMD EPYC 9B14)} or {@code Ascend910B3 (npu:0)}. */
  String deviceName();

  /** The tensor operations that the Gemma 2 architecture runs on this device. */
  TensorOps<?> ops();

  /** The KV-cache block size (token positions) this device's attention prefers: 16 unless it says otherwise. */
  default int preferredBlockSize() {
    return 16;
  }

  /**
   * The most sequences a step should run on this device when the engine sizes the batch itself
   * ({@code EngineOptions.maxBatchSize} 0): {@value dev.gemma4j.engine.EngineOptions#DEFAULT_MAX_BATCH_SIZE}
   * unless it says otherwise. The engine lowers it until a step's temporaries
   * ({@link TensorOps#stepBytesFor}) take at most a tenth of the memory the weights leave, and to the KV
   * cache's blocks.
   */
  default int preferredMaxBatchSize() {
    return dev.gemma4j.engine.EngineOptions.DEFAULT_MAX_BATCH_SIZE;
  }

  /** Reads this device's memory. */
  MemoryProbe memoryProbe();

  /** What the device has done since the backend opened; {@link DeviceCounters#NONE} where nothing is counted. */
  default DeviceCounters counters() {
    return DeviceCounters.NONE;
  }

  /** Frees the device's allocations. */
  @Override
  void close();
}
