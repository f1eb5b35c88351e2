package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.backend.cpu.kernels.Widening;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The KV cache on the CPU, in native memory committed as it is written: per layer the keys and the values
 * as {@code [slots, kvHeads, headDim]} of the layer's group, slot {@code block * blockSize + offset}, in the math's width
 * (float32, or bf16 when the math is bf16, which loses nothing since every value is already a bf16
 * value). Attention reads one head of one block as a {@link WeightMatrix} with strided rows.
 */
final class CpuKvCache implements KvCache {
  private final KvCacheSpec spec;
  private final DType dtype;
  private final Arena arena = Arena.ofShared();
  private final List<MemorySegment> keys = new ArrayList<>();
  private final List<MemorySegment> values = new ArrayList<>();
  private final Consumer<CpuKvCache> onClose;
  private boolean closed;

  CpuKvCache(KvCacheSpec spec, DType dtype, Consumer<CpuKvCache> onClose) {
    this.spec = spec;
    this.dtype = dtype;
    this.onClose = onClose;
    for (int layer = 0; layer < spec.layers(); layer++) {
      long bytes = spec.group(layer).slots() * slotBytes(layer);
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

  /** Bytes of one position's keys (or values) on {@code layer}. */
  private long slotBytes(int layer) {
    return (long) spec.group(layer).width() * dtype.bytes();
  }

  /** Stores one position's keys and values ({@code width} floats each, from the given offsets) at a slot. */
  void write(int layer, int slot, float[] k, int kOffset, float[] v, int vOffset) {
    requireOpen();
    long slotBytes = slotBytes(layer);
    int width = spec.group(layer).width();
    Widening.store(k, kOffset, keys.get(layer), slot * slotBytes, dtype, width);
    Widening.store(v, vOffset, values.get(layer), slot * slotBytes, dtype, width);
  }

  /** The keys of head {@code head} at {@code count} consecutive slots from {@code slot}. */
  WeightMatrix keys(int layer, int slot, int count, int head) {
    return view(layer, keys.get(layer), slot, count, head);
  }

  /** The values of head {@code head} at {@code count} consecutive slots from {@code slot}. */
  WeightMatrix values(int layer, int slot, int count, int head) {
    return view(layer, values.get(layer), slot, count, head);
  }

  private WeightMatrix view(int layer, MemorySegment memory, int slot, int count, int head) {
    requireOpen();
    long slotBytes = slotBytes(layer);
    int headDim = spec.group(layer).headDim();
    long start = slot * slotBytes + (long) head * headDim * dtype.bytes();
    long length = (count - 1) * slotBytes + (long) headDim * dtype.bytes();
    return new WeightMatrix(memory.asSlice(start, length), dtype, count, headDim, slotBytes);
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
