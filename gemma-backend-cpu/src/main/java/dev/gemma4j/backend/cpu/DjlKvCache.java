package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The KV cache on the CPU: per layer a {@code [slots, kvHeads, headDim]} float32 tensor of keys and one of
 * values, slot {@code block * blockSize + offset}. Uninitialized: a slot is always written before it is
 * read, and untouched pages cost no memory.
 */
final class DjlKvCache implements KvCache {
  private final KvCacheSpec spec;
  private final NDManager manager;
  private final List<NDArray> keys = new ArrayList<>();
  private final List<NDArray> values = new ArrayList<>();
  private final long bytes;
  private final Consumer<DjlKvCache> onClose;
  private boolean closed;

  DjlKvCache(KvCacheSpec spec, NDManager parent, Consumer<DjlKvCache> onClose) {
    this.spec = spec;
    this.manager = parent.newSubManager();
    this.onClose = onClose;
    for (LayerType type : spec.layers()) {
      Shape shape = new Shape(spec.slots(type), spec.kvHeads(), spec.headDim());
      keys.add(manager.create(shape, DataType.FLOAT32));
      values.add(manager.create(shape, DataType.FLOAT32));
    }
    this.bytes = spec.bytes(Float.BYTES);
  }

  @Override
  public KvCacheSpec spec() {
    return spec;
  }

  @Override
  public long bytes() {
    return bytes;
  }

  NDArray keys(int layer) {
    requireOpen();
    return keys.get(layer);
  }

  NDArray values(int layer) {
    requireOpen();
    return values.get(layer);
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
      manager.close();
      onClose.accept(this);
    }
  }
}
