package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.Backend;
import dev.gemma4j.engine.DeviceCounters;
import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.TensorOps;
import java.lang.foreign.MemorySegment;

/** One Ascend device, opened: its device thread, stream, operators and memory probe. */
final class NpuBackend implements Backend {
  private final AclRuntime runtime;
  private final DeviceThread thread;
  private final int device;
  private final MemorySegment stream;
  private final NpuTensorOps ops;
  private final NpuMemoryProbe probe;
  private final String deviceName;

  private NpuBackend(
      AclRuntime runtime, DeviceThread thread, int device, MemorySegment stream, Precision precision, NpuFusions fusions,
      @org.jspecify.annotations.Nullable NpuProbes probes, String name) {
    this.runtime = runtime;
    this.thread = thread;
    this.device = device;
    this.stream = stream;
    this.deviceName = name;
    this.ops = new NpuTensorOps(runtime, new Aclnn(runtime, stream), thread, precision, fusions);
    this.probe = new NpuMemoryProbe(name, runtime, thread, ops);
    if (probes != null) {
      ops.useProbes(probes);
    } else {
      ops.probe();
    }
  }

  /**
   * Opens {@code device}.
   *
   * @param probes what this CANN answered to {@link NpuProbes} on an earlier device, or {@code null} to ask
   *     this one (the answers belong to the installed operators, not to a device)
   */
  static NpuBackend open(
      AclRuntime runtime, int device, Precision precision, NpuFusions fusions,
      @org.jspecify.annotations.Nullable NpuProbes probes) {
    DeviceThread thread = new DeviceThread("gemma-npu-" + device);
    try {
      return thread.call(
          () -> {
            runtime.setDevice(device);
            MemorySegment stream = runtime.createStream();
            String name = runtime.socName() + " (npu:" + device + ")";
            return new NpuBackend(runtime, thread, device, stream, precision, fusions, probes, name);
          });
    } catch (RuntimeException e) {
      thread.close();
      throw e;
    }
  }

  AclRuntime runtime() {
    return runtime;
  }

  DeviceThread thread() {
    return thread;
  }

  @Override
  public String name() {
    return NpuBackendProvider.NAME;
  }

  @Override
  public String deviceName() {
    return deviceName;
  }

  @Override
  public TensorOps<?> ops() {
    return ops;
  }

  /** 256, vLLM's (and vllm-ascend's) default {@code --max-num-seqs}; the engine lowers it to fit memory. */
  @Override
  public int preferredMaxBatchSize() {
    return 256;
  }

  /** Ascend's attention kernels prefer blocks of 128 tokens (as vllm-ascend uses). */
  @Override
  public int preferredBlockSize() {
    return 128;
  }

  @Override
  public MemoryProbe memoryProbe() {
    return probe;
  }

  /** Counted on the Java side of every CANN call, so they hold on a real device as on the emulator. */
  @Override
  public DeviceCounters counters() {
    return runtime.counters(ops.launches(), ops.stepPeakBytes());
  }

  @Override
  public void close() {
    try {
      ops.close();
      thread.call(
          () -> {
            runtime.destroyStream(stream);
            runtime.resetDevice(device);
            return null;
          });
    } finally {
      thread.close();
    }
  }
}
