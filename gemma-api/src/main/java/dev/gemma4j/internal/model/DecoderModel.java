package dev.gemma4j.internal.model;

import dev.gemma4j.TopLogits;
import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.config.RopeParameters;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.HostArgmax;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.NormWeight;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.ResidualNorm;
import dev.gemma4j.spi.SampledRows;
import dev.gemma4j.spi.SamplingRow;
import dev.gemma4j.spi.TensorOps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded Gemma-family decoder, written once against {@link TensorOps} so every backend runs the same
 * sequence of operations (see {@code DESIGN.md}, "Gemma 2 numerics"); each architecture of the registry
 * ({@link ModelRegistry}) is a subclass that contributes its attention block:
 *
 * <ol>
 *   <li>{@code h = embed[ids] * sqrt(hidden)}, the scale rounded to the checkpoint's dtype;
 *   <li>per layer: {@code h += post_attn_norm(attn(input_norm(h)))}, then
 *       {@code h += post_ffn_norm(mlp(pre_ffn_norm(h)))};
 *   <li>{@code logits = softcap(norm(h) · embedᵀ)}, the soft-cap where the config sets one.
 * </ol>
 *
 * <p>Batches mix sequences of any length: their tokens are concatenated into one activation matrix for
 * the linear layers, and attention reads each sequence's cached keys through its block tables. The KV
 * cache is not part of the model: the caller allocates it ({@link #allocateKvCache}) and passes it to
 * every step.
 *
 * @param <T> the backend's tensor type
 */
public abstract class DecoderModel<T> implements AutoCloseable {
  private final ModelConfig config;
  private final TensorOps<T> ops;
  private final DecoderWeights<T> weights;
  /** One table per distinct RoPE of the model's layers (Gemma 2's layer kinds share one; Gemma 3's differ). */
  private final Map<RopeParameters, RopeTable> ropes = new HashMap<>();
  private final float embedScale;

  DecoderModel(ModelConfig config, TensorOps<T> ops, DecoderWeights<T> weights) {
    this.config = config;
    this.ops = ops;
    this.weights = weights;
    String frequencyDtype =
        ops.precision() == Precision.BFLOAT16 ? "bfloat16" : config.storedDtype();
    for (LayerType type : config.layerTypes()) {
      ropes.computeIfAbsent(config.rope(type), rope -> new RopeTable(config.headDim(), rope, frequencyDtype));
    }
    // The reference casts the embedding normalizer sqrt(hidden) like the frequencies: to the checkpoint's
    // dtype (float16 rounds sqrt(128) to 11.3125), then to the math precision.
    this.embedScale = ops.precision().round(RopeTable.roundTo(frequencyDtype, (float) Math.sqrt(config.hiddenSize())));
  }

  /**
   * Loads a checkpoint through a backend's operations with the architecture its config names, checking every
   * tensor's shape against {@code config.json}.
   *
   * @throws ModelFormatException when a tensor is missing or of the wrong shape
   */
  public static <T> DecoderModel<T> load(Checkpoint checkpoint, TensorOps<T> ops) {
    return load(checkpoint, ops, WeightQuantization.NONE);
  }

  /**
   * Loads a checkpoint, quantizing the linear layers of a float checkpoint as asked.
   *
   * @throws ModelFormatException when {@code quantize} asks to quantize a checkpoint that already is
   */
  public static <T> DecoderModel<T> load(Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize) {
    if (quantize != WeightQuantization.NONE && checkpoint.quantization().isPresent()) {
      throw new ModelFormatException(
          checkpoint.folder() + " is already quantized (AWQ); load it unquantized (WeightQuantization.NONE)");
    }
    return ops.execute(() -> ModelRegistry.load(checkpoint, ops, quantize));
  }

  /**
   * The attention block of layer {@code layer} up to the output projection: projections, any norms,
   * RoPE, and attention over the cache.
   *
   * @param x the layer's normalized input
   * @param cos the cosines of the layer kind's RoPE at the batch's positions
   * @param sin the sines
   */
  abstract T attentionBeforeOutput(
      int layer, DecoderWeights.Layer w, T x, T cos, T sin, AttentionStep<T> attention);

  /** The architecture. */
  public ModelConfig config() {
    return config;
  }

  /** The backend operations this model runs on. */
  public TensorOps<T> ops() {
    return ops;
  }

  /** The bytes the backend stores per KV-cache element. */
  public int kvCacheBytesPerElement() {
    return ops.kvCacheBytesPerElement();
  }

  /**
   * The KV-cache groups of a model of {@code config}, with no blocks yet (the engine sizes them): one group for
   * the full-attention layers, then one for the sliding-window layers, each with the model's head shape.
   */
  public static KvCacheSpec kvCacheLayout(ModelConfig config, int blockSize) {
    List<KvCacheGroup> groups = new ArrayList<>();
    List<LayerType> kinds = new ArrayList<>();
    for (LayerType kind : List.of(LayerType.FULL, LayerType.SLIDING)) {
      if (config.layerTypes().contains(kind)) {
        kinds.add(kind);
        int window = kind == LayerType.SLIDING ? config.slidingWindow() : 0;
        groups.add(new KvCacheGroup(window, blockSize, 0, config.numKvHeads(), config.headDim()));
      }
    }
    return new KvCacheSpec(config.layerTypes().stream().map(kinds::indexOf).toList(), groups);
  }

  /** This model's KV-cache groups with {@code blocks} blocks each (tests and tools; the engine sizes its own). */
  public KvCacheSpec kvCacheSpec(int blockSize, int blocks) {
    KvCacheSpec layout = kvCacheLayout(config, blockSize);
    return new KvCacheSpec(layout.layerGroups(), layout.groups().stream().map(g -> g.withBlocks(blocks)).toList());
  }

  /** Allocates a KV cache on this model's backend. */
  public KvCache allocateKvCache(KvCacheSpec spec) {
    return ops.execute(() -> ops.allocateKvCache(spec));
  }

  /**
   * Runs one batched step: every row through all layers, its keys and values into {@code cache}, and for
   * the batch's logit rows the final logits (after soft-capping): greedy ids chosen on the device, and
   * whole rows for those the batch wants on the host.
   */
  public ForwardResult forward(ForwardBatch batch, KvCache cache) {
    int vocab = config.vocabSize();
    return ops.execute(() -> {
      try (TensorOps.Step ignored = ops.openStep()) {
        T h = layers(batch, cache);
        int[] logitRows = batch.logitRows();
        int[] hostRows = batch.hostRows();
        if (logitRows.length == 0) {
          return new ForwardResult(new int[0], new float[0], vocab);
        }
        T logits = head(isEveryRowInOrder(logitRows, batch.rows()) ? h : ops.selectRows(h, logitRows));
        if (hostRows.length == logitRows.length) {
          float[] host = ops.toHost(logits);
          int[] greedy = new int[logitRows.length];
          for (int r = 0; r < greedy.length; r++) {
            greedy[r] = HostArgmax.ofRow(host, r * vocab, vocab);
          }
          return new ForwardResult(greedy, host, vocab);
        }
        SampledRows drawn = batch.drawsOnDevice()
            ? ops.sampleRows(logits, vocab, greedyWhereUnset(batch.draws()))
            : new SampledRows(ops.argmaxRows(logits, vocab), new TopLogits[logitRows.length]);
        int[] greedy = drawn.ids();
        float[] host = hostRows.length == 0 ? new float[0] : ops.toHost(ops.selectRows(logits, hostRows));
        return new ForwardResult(greedy, host, vocab, drawn.topLogits());
      }
    });
  }

  private static boolean isEveryRowInOrder(int[] rows, int count) {
    if (rows.length != count) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      if (rows[i] != i) {
        return false;
      }
    }
    return true;
  }

  private static SamplingRow[] greedyWhereUnset(SamplingRow[] draws) {
    SamplingRow[] out = draws.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null) {
        out[i] = SamplingRow.GREEDY;
      }
    }
    return out;
  }

  /** The hidden state of every row after the last layer, through the final norm. */
  private T layers(ForwardBatch batch, KvCache cache) {
    T h = ops.scale(weights.embedding().lookup(batch.tokens()), embedScale);
    Map<RopeParameters, T> cos = new HashMap<>();
    Map<RopeParameters, T> sin = new HashMap<>();
    ropes.forEach((parameters, table) -> {
      cos.put(parameters, ops.fromHost(table.cos(batch.positions()), batch.rows(), config.headDim()));
      sin.put(parameters, ops.fromHost(table.sin(batch.positions()), batch.rows(), config.headDim()));
    });
    AttentionStep<T> attention =
        ops.prepareAttention(batch.attention(), cache, config.attentionScale(), config.attnSoftcap());
    double eps = config.rmsNormEps();
    // Each residual addition is fused with the norm that follows it: the pre-feedforward norm, then the
    // next layer's input norm, and after the last layer the final norm.
    List<DecoderWeights.Layer> layers = weights.layers();
    T x = ops.rmsNorm(h, layers.getFirst().inputNorm(), eps);
    for (int i = 0; i < layers.size(); i++) {
      ops.beginLayer(i);
      DecoderWeights.Layer w = layers.get(i);
      RopeParameters rope = config.rope(w.type());
      T attended = ops.linear(attentionBeforeOutput(i, w, x, cos.get(rope), sin.get(rope), attention), w.o());
      ResidualNorm<T> afterAttention =
          ops.addRmsNorm(h, ops.rmsNorm(attended, w.postAttentionNorm(), eps), w.preFeedforwardNorm(), eps);
      h = afterAttention.sum();
      T mlp = ops.linear(ops.gatedActivation(afterAttention.normed(), w.gateUp(), config.activation()), w.down());
      T y = ops.rmsNorm(mlp, w.postFeedforwardNorm(), eps);
      NormWeight nextNorm = i + 1 < layers.size() ? layers.get(i + 1).inputNorm() : weights.finalNorm();
      ResidualNorm<T> afterMlp = ops.addRmsNorm(h, y, nextNorm, eps);
      h = afterMlp.sum();
      x = afterMlp.normed();
    }
    ops.endLayers();
    attention.finish();
    return x;
  }

  /** The tied output head and the final soft-cap, over rows the final norm has normalized. */
  private T head(T normed) {
    T logits = weights.embedding().project(normed);
    return config.finalSoftcap() > 0 ? ops.softcap(logits, config.finalSoftcap()) : logits;
  }

  /** Frees the weights (and any KV cache not closed yet). */
  @Override
  public void close() {
    ops.close();
  }
}
