package dev.gemma4j.spi;

import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import java.util.List;
import java.util.function.Supplier;

/**
 * The tensor operations a backend provides; each architecture of the engine's model registry (Gemma 2,
 * Gemma 3) writes its forward pass once against them. Tensors are 2-D {@code [rows, columns]} unless stated; a step's
 * activations have one row per token of the batch.
 *
 * <p>Tensors created inside {@link #openStep()} are freed when the step closes; weights live until
 * {@link #close()}, a KV cache until it is closed. Implementations are used from one thread at a time.
 *
 * @param <T> the backend's tensor type
 */
public interface TensorOps<T> extends AutoCloseable {

  /** A scope for one forward step's temporaries. */
  interface Step extends AutoCloseable {
    @Override
    void close();
  }

  /** The precision activations are computed in. */
  Precision precision();

  /**
   * Runs {@code work} where this backend's calls must run: devices whose runtime binds state to a thread
   * (CANN's ACL context) run it on their own device thread. The default runs it on the caller's thread.
   */
  default <R> R execute(Supplier<R> work) {
    return work.get();
  }

  /**
   * Prepares a linear layer's weight in the form this backend's {@link #linear} reads: used in place from
   * the memory-mapped checkpoint where the device can (the checkpoint then stays open, see
   * {@link #readsCheckpointAfterLoad()}), otherwise converted once, here.
   */
  LinearWeight loadLinear(Checkpoint checkpoint, LinearSource source);

  /** Loads an RMSNorm weight {@code w} as the backend's norms read {@code 1 + w} (float32 math). */
  NormWeight loadNormWeight(Checkpoint checkpoint, TensorInfo tensor);

  /**
   * Uploads the embedding matrix {@code [vocab, hidden]}, which also serves as the output head. A
   * backend may split it (a 27B embedding is larger than one buffer can hold).
   */
  EmbeddingTable<T> loadEmbedding(Checkpoint checkpoint, TensorInfo tensor);

  /**
   * Bytes this backend stores per KV-cache element (4 for float32, 2 for bfloat16): what sizing the cache
   * from free memory divides by.
   */
  int kvCacheBytesPerElement();

  /**
   * Allocates a KV cache of the spec's shape, in device memory, in {@link #kvCacheBytesPerElement()} bytes
   * per element. Several may exist at once; each is freed by its own {@link KvCache#close()}.
   */
  KvCache allocateKvCache(KvCacheSpec spec);

  /** Starts a step; close it to free the step's tensors. */
  Step openStep();

  /** A tensor holding {@code data} with the given shape. */
  T fromHost(float[] data, int rows, int columns);

  /** The tensor's values, row-major. */
  float[] toHost(T tensor);

  /**
   * The index of the largest value of each row of a {@code [rows, columns]} tensor (the first one among
   * equals), or -1 for a row that holds a NaN or an infinity, computed where the tensor lives so only
   * the ids travel. The default copies the tensor to the host.
   */
  default int[] argmaxRows(T tensor, int columns) {
    float[] values = toHost(tensor);
    int[] best = new int[values.length / columns];
    for (int r = 0; r < best.length; r++) {
      best[r] = HostArgmax.ofRow(values, r * columns, columns);
    }
    return best;
  }

  /** Rows {@code rows} of {@code x}, in that order. */
  T selectRows(T x, int[] rows);

  /** Whether {@link #sampleRows} draws tokens here, so sampled requests need not bring logits back. */
  default boolean samplesOnDevice() {
    return false;
  }

  /**
   * One token per row of {@code logits [rows, columns]}, drawn as {@code draws} say (-1 for a row whose
   * logits are not finite), with the highest logits of the rows that ask for them.
   *
   * @throws UnsupportedOperationException when {@link #samplesOnDevice()} is false
   */
  default SampledRows sampleRows(T logits, int columns, SamplingRow[] draws) {
    throw new UnsupportedOperationException("this backend samples on the host");
  }

  /** {@code x * factor}, elementwise; used for the embedding scale. */
  T scale(T x, float factor);

  /** RMSNorm in float32: {@code x / sqrt(mean(x²) + eps) * (1 + w)}, cast back. */
  T rmsNorm(T x, NormWeight weight, double eps);

  /**
   * RMSNorm of each head: {@code x [rows, heads * headDim]} normalized over every {@code headDim} slice with
   * one {@code 1 + w} of {@code headDim} (Gemma 3's {@code q_norm} and {@code k_norm}), in float32 as
   * {@link #rmsNorm}.
   *
   * @throws UnsupportedOperationException from backends that do not run architectures with head norms
   */
  default T rmsNormHeads(T x, NormWeight weight, int heads, double eps) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " does not normalize attention heads, which"
        + " Gemma 3 needs; run Gemma 3 on a backend that does (the CPU and NPU backends)");
  }

  /** {@code x · wᵀ} for {@code x [rows, in]} and {@code w [out, in]}. */
  T linear(T x, LinearWeight weight);

  /**
   * Loads linear layers that read the same input (q, k, v; gate, up) so that a backend may run them as
   * one matrix product; by default each is loaded on its own.
   */
  default LinearWeight loadLinearGroup(Checkpoint checkpoint, List<LinearSource> sources) {
    return new LinearGroup(sources.stream().map(s -> loadLinear(checkpoint, s)).toList());
  }

  /**
   * Loads an attention layer's q, k and v projections as a group ({@link #loadLinearGroup}). When
   * {@code keysReachAttentionLinearly}, the architecture passes the keys to attention through RoPE alone (a
   * linear map), so a backend may multiply the key weights by attention's score factor here and skip that
   * product at every step; an architecture that normalizes the keys in between passes {@code false}. The
   * default loads the group as it is.
   */
  default LinearWeight loadAttentionProjections(
      Checkpoint checkpoint, List<LinearSource> qkv, boolean keysReachAttentionLinearly) {
    return loadLinearGroup(checkpoint, qkv);
  }

  /** Each layer's {@code x · wᵀ} of a group from {@link #loadLinearGroup}, in the group's order. */
  default List<T> linearGroup(T x, LinearWeight group) {
    return ((LinearGroup) group).parts().stream().map(w -> linear(x, w)).toList();
  }

  /** {@code act(x · gateᵀ) * (x · upᵀ)} for a group of gate and up layers, {@code act} the model's activation. */
  default T gatedActivation(T x, LinearWeight gateUp, dev.gemma4j.config.Activation activation) {
    List<T> parts = linearGroup(x, gateUp);
    return switch (activation) {
      case GELU_TANH -> geluTanhMul(parts.get(0), parts.get(1));
    };
  }

  /**
   * The device memory a step's temporaries may take at most with these engine sizes (every sequence of the
   * batch decoding at the model's longest context, or a prompt chunk of {@code maxBatchTokens} rows),
   * reserved before the KV cache is sized from what is free; 0 (the default) where temporaries live in
   * memory the engine's working-set estimate already covers, such as the CPU's heap.
   */
  default long stepBytesFor(dev.gemma4j.config.ModelConfig config, dev.gemma4j.engine.EngineOptions options) {
    return 0;
  }

  /**
   * Layer {@code layer} of a forward pass begins. A backend that allocates a step's temporaries may reuse
   * what layer {@code layer - 2} allocated: the model reads nothing of a layer's temporaries but the previous
   * layer's outputs. Layers are numbered from 0 and come in order; {@link #endLayers()} follows the last.
   */
  default void beginLayer(int layer) {}

  /** The layers of a forward pass are done: what is allocated now lives to the end of the step. */
  default void endLayers() {}

  /** {@code h + y} and {@code rmsNorm(h + y)}: the residual addition and the next norm. */
  default ResidualNorm<T> addRmsNorm(T h, T y, NormWeight weight, double eps) {
    T sum = add(h, y);
    return new ResidualNorm<>(sum, rmsNorm(sum, weight, eps));
  }

  /**
   * Rotary embedding in rotate-half layout: {@code x·cos + rotate_half(x)·sin} per head, where
   * {@code x} is {@code [rows, heads * headDim]} and {@code cos}, {@code sin} are {@code [rows, headDim]}.
   */
  T rope(T x, T cos, T sin, int heads);

  /** {@code gelu_tanh(gate) * up}, elementwise. */
  T geluTanhMul(T gate, T up);

  /** {@code a + b}, elementwise. */
  T add(T a, T b);

  /** {@code tanh(x / cap) * cap}, elementwise. */
  T softcap(T x, double cap);

  /**
   * Prepares the attention of one step for all layers: what the batch's block tables and lengths need on
   * the device is uploaded once here and reused by every layer.
   *
   * @param cache a cache this backend allocated
   * @param scale the factor applied to {@code q·kᵀ}
   * @param softcap the attention soft-cap; 0 for none
   */
  AttentionStep<T> prepareAttention(AttentionBatch batch, KvCache cache, double scale, double softcap);

  /**
   * Whether the loaded weights still read the checkpoint's memory-mapped files (a CPU backend using
   * float32 weights in place does). When not, the files are unmapped after loading, so their pages stop
   * counting against the process. The default assumes they do.
   */
  default boolean readsCheckpointAfterLoad() {
    return true;
  }

  /**
   * Bytes the weights of {@code checkpoint} will occupy on this device once loaded, known before loading
   * them (for the memory check). The default: as stored in the checkpoint.
   */
  default long weightBytesFor(Checkpoint checkpoint) {
    return checkpoint.storedBytes();
  }

  /**
   * Like {@link #weightBytesFor(Checkpoint)} when the linear layers are quantized while loading: a byte a
   * weight for int8; 4 bits plus a scale and a zero point per 128 for int4; the float bytes they came from
   * are released.
   */
  default long weightBytesFor(Checkpoint checkpoint, dev.gemma4j.WeightQuantization quantize) {
    if (quantize == dev.gemma4j.WeightQuantization.NONE) {
      return weightBytesFor(checkpoint);
    }
    long bytes = 0;
    for (var t : checkpoint.tensors().values()) {
      boolean linear = t.name().endsWith("_proj.weight");
      bytes += !linear ? t.byteLength()
          : quantize == dev.gemma4j.WeightQuantization.INT8 ? t.elementCount() : t.elementCount() / 2 + t.elementCount() / 16;
    }
    return bytes;
  }

  /** Bytes held for weights. */
  long weightBytes();

  /** Bytes held by the KV caches allocated and not yet closed. */
  long kvCacheBytes();

  /** Frees the weights and any KV cache still open. */
  @Override
  void close();
}
