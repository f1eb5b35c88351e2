package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.backend.cpu.kernels.Widening;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The KV cache on the CPU, in native memory committed as it is written: per layer the keys and the values
 * as {@code [slots, kvHeads, headDim]}, slot {@code block * blockSize + offset}, in the math's width
 * (float32, or bf16 when the math is bf16, which loses nothing since every value is already a bf16
 * value). Attention reads one head of one block as a {@link WeightMatrix} with strided rows.
 */
final class CpuKvCache implements KvCache {
  private final KvCacheSpec spec;
  private final DType dtype;
  private final Arena arena = Arena.ofShared();
  private final List<MemorySegment> keys = new ArrayList<>();
  private final List<MemorySegment> values = new ArrayList<>();
  private final long slotBytes;
  private final Consumer<CpuKvCache> onClose;
  private boolean closed;

  CpuKvCache(KvCacheSpec spec, DType dtype, Consumer<CpuKvCache> onClose) {
    this.spec = spec;
    this.dtype = dtype;
    this.onClose = onClose;
    this.slotBytes = (long) spec.width() * dtype.bytes();
    for (LayerType type : spec.layers()) {
      long bytes = spec.slots(type) * slotBytes;
      keys.add(LazyMemory.allocate(bytes, arena));
      values.add(LazyMemory.allocate(bytes, arena));
    }
  }

  @Override
  public KvCacheSpec spec() {
    return spec;
  }

  @Override
  public long bytes() {
    return spec.bytes(dtype.bytes());
  }

  DType dtype() {
    return dtype;
  }

  /** Stores one position's keys and values ({@code width} floats each, from the given offsets) at a slot. */
  void write(int layer, int slot, float[] k, int kOffset, float[] v, int vOffset) {
    requireOpen();
    Widening.store(k, kOffset, keys.get(layer), slot * slotBytes, dtype, spec.width());
    Widening.store(v, vOffset, values.get(layer), slot * slotBytes, dtype, spec.width());
  }

  /** The keys of head {@code head} at {@code count} consecutive slots from {@code slot}. */
  WeightMatrix keys(int layer, int slot, int count, int head) {
    return view(keys.get(layer), slot, count, head);
  }

  /** The values of head {@code head} at {@code count} consecutive slots from {@code slot}. */
  WeightMatrix values(int layer, int slot, int count, int head) {
    return view(values.get(layer), slot, count, head);
  }

  private WeightMatrix view(MemorySegment layer, int slot, int count, int head) {
    requireOpen();
    long start = slot * slotBytes + (long) head * spec.headDim() * dtype.bytes();
    long length = (count - 1) * slotBytes + (long) spec.headDim() * dtype.bytes();
    return new WeightMatrix(layer.asSlice(start, length), dtype, count, spec.headDim(), slotBytes);
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this KV cache is closed");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      arena.close();
      onClose.accept(this);
    }
  }
}
