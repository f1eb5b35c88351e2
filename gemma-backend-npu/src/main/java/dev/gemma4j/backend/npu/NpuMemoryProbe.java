package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.engine.MemorySnapshot;

/**
 * Device memory from {@code aclrtGetMemInfo(ACL_HBM_MEM)} (total and free HBM) and the bytes this backend
 * allocated (now and at its peak), with the weights and KV cache among them.
 */
final class NpuMemoryProbe implements MemoryProbe {
  private final String device;
  private final AclRuntime runtime;
  private final DeviceThread thread;
  private final NpuTensorOps ops;

  NpuMemoryProbe(String device, AclRuntime runtime, DeviceThread thread, NpuTensorOps ops) {
    this.device = device;
    this.runtime = runtime;
    this.thread = thread;
    this.ops = ops;
  }

  @Override
  public MemorySnapshot snapshot() {
    return thread.call(
        () -> {
          long[] info = runtime.memInfo();
          Runtime jvm = Runtime.getRuntime();
          return new MemorySnapshot(
              device,
              info[1],
              info[0],
              ops.allocatedBytes(),
              ops.peakAllocatedBytes(),
              ops.weightBytes(),
              ops.kvCacheBytes(),
              jvm.totalMemory() - jvm.freeMemory());
        });
  }

  @Override
  public void resetPeak() {
    thread.call(
        () -> {
          ops.resetPeak();
          return null;
        });
  }
}
