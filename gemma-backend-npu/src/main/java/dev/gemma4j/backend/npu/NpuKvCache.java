package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The KV cache in device memory: per layer a {@code [slots, kvHeads * headDim]} tensor of keys and one of
 * values in the activation dtype, slot {@code block * blockSize + offset}.
 */
final class NpuKvCache implements KvCache {
  private final KvCacheSpec spec;
  private final List<NpuTensor> keys = new ArrayList<>();
  private final List<NpuTensor> values = new ArrayList<>();
  private final long bytes;
  private final Consumer<NpuKvCache> onClose;
  private boolean closed;

  NpuKvCache(KvCacheSpec spec, AclDType dtype, NpuTensorOps ops, Consumer<NpuKvCache> onClose) {
    this.spec = spec;
    this.onClose = onClose;
    for (int layer = 0; layer < spec.layers(); layer++) {
      KvCacheGroup group = spec.group(layer);
      keys.add(ops.allocateUntracked(dtype, group.slots(), group.width()));
      values.add(ops.allocateUntracked(dtype, group.slots(), group.width()));
    }
    this.bytes = spec.bytes(dtype.bytes());
  }

  @Override
  public KvCacheSpec spec() {
    return spec;
  }

  @Override
  public long bytes() {
    return bytes;
  }

  NpuTensor keys(int layer) {
    requireOpen();
    return keys.get(layer);
  }

  NpuTensor values(int layer) {
    requireOpen();
    return values.get(layer);
  }

  /** Every tensor of the cache, for freeing. */
  List<NpuTensor> tensors() {
    List<NpuTensor> all = new ArrayList<>(keys);
    all.addAll(values);
    return all;
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
      onClose.accept(this);
    }
  }
}
