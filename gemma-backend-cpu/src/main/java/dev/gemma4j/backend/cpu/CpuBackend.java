package dev.gemma4j.backend.cpu;

import ai.djl.engine.Engine;
import dev.gemma4j.backend.cpu.kernels.KernelPool;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.TensorOps;

/** The CPU, opened: the kernel threads and one PyTorch manager for the tensors of one model. */
final class CpuBackend implements Backend {
  private final String deviceName;
  private final CpuTensorOps ops;
  private final CpuMemoryProbe memoryProbe;

  CpuBackend(Engine engine, Precision precision, int threads, String deviceName) {
    this.deviceName = deviceName;
    this.ops = new CpuTensorOps(precision, new KernelPool(threads), engine.newBaseManager());
    this.memoryProbe = new CpuMemoryProbe(deviceName, ops);
  }

  @Override
  public String name() {
    return CpuBackendProvider.NAME;
  }

  @Override
  public String deviceName() {
    return deviceName;
  }

  @Override
  public TensorOps<?> ops() {
    return ops;
  }

  @Override
  public MemoryProbe memoryProbe() {
    return memoryProbe;
  }

  @Override
  public void close() {
    ops.close();
  }
}
