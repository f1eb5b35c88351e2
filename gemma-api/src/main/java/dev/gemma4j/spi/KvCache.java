package dev.gemma4j.spi;

/**
 * A KV cache a backend allocated from a {@link KvCacheSpec}: owned by the model runner, passed to every
 * forward step, freed by {@link #close()}. Only the backend that allocated it can read it; it hands it
 * back to that backend's {@link TensorOps#prepareAttention}.
 */
public interface KvCache extends AutoCloseable {
  /** What was allocated. */
  KvCacheSpec spec();

  /** Bytes it occupies on the device. */
  long bytes();

  /** Frees the device memory; later steps must not use it. */
  @Override
  void close();
}
