package dev.gemma4j.spi;

/**
 * The attention of one batched forward step, prepared once for all layers from an {@link AttentionBatch}:
 * what its block tables and lengths need on the device is uploaded by {@link TensorOps#prepareAttention}
 * and reused by every layer.
 *
 * @param <T> the backend's tensor type
 */
public interface AttentionStep<T> {
  /**
   * Writes this step's keys and values of layer {@code layer} to the cache (the slots the block tables
   * give for the query positions), then computes grouped-query attention of the queries over the cached
   * keys each one sees: scores {@code q·kᵀ · scale}, soft-capped with
   * {@code tanh(s / cap) · cap} when {@code softcap > 0}, masked, softmax in float32, times values.
   *
   * @param q {@code [rows, numHeads * headDim]} after RoPE
   * @param k {@code [rows, numKvHeads * headDim]} after RoPE
   * @param v {@code [rows, numKvHeads * headDim]}
   * @return {@code [rows, numHeads * headDim]}
   */
  T attend(int layer, T q, T k, T v);

  /**
   * Called once after the step's last layer: a backend that recorded the layers' operators instead of
   * running them (a captured device graph) runs them now. By default nothing is left to do.
   */
  default void finish() {}
}
