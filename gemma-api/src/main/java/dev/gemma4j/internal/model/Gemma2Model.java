package dev.gemma4j.internal.model;

import dev.gemma4j.TopLogits;
import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.config.Quantization;
import dev.gemma4j.internal.quant.WeightQuantizer;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.EmbeddingTable;
import dev.gemma4j.spi.HostArgmax;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.LinearWeight;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.ResidualNorm;
import dev.gemma4j.spi.SampledRows;
import dev.gemma4j.spi.SamplingRow;
import dev.gemma4j.spi.TensorOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Gemma 2 forward pass, written once against {@link TensorOps} so every backend runs the same
 * sequence of operations (see {@code DESIGN.md}, "Gemma 2 numerics"):
 *
 * <ol>
 *   <li>{@code h = embed[ids] * sqrt(hidden)}, the scale rounded to the activation precision;
 *   <li>per layer: {@code h += post_attn_norm(attn(input_norm(h)))}, then
 *       {@code h += post_ffn_norm(mlp(pre_ffn_norm(h)))};
 *   <li>{@code logits = softcap(norm(h) · embedᵀ)}.
 * </ol>
 *
 * <p>Batches mix sequences of any length: their tokens are concatenated into one activation matrix for
 * the linear layers, and attention reads each sequence's cached keys through its block tables. The KV
 * cache is not part of the model: the caller allocates it ({@link #allocateKvCache}) and passes it to
 * every step.
 *
 * @param <T> the backend's tensor type
 */
public final class Gemma2Model<T> implements AutoCloseable {
  private final ModelConfig config;
  private final TensorOps<T> ops;
  private final EmbeddingTable<T> embedding;
  private final List<LayerWeights<T>> layers;
  private final T finalNorm;
  private final RopeTable rope;
  private final float embedScale;

  /** One layer's weights; q/k/v and gate/up are groups a backend may run as one matrix product each. */
  private record LayerWeights<T>(
      LayerType type,
      T inputNorm,
      LinearWeight qkv,
      LinearWeight o,
      T postAttentionNorm,
      T preFeedforwardNorm,
      LinearWeight gateUp,
      LinearWeight down,
      T postFeedforwardNorm) {}

  private Gemma2Model(
      ModelConfig config,
      TensorOps<T> ops,
      EmbeddingTable<T> embedding,
      List<LayerWeights<T>> layers,
      T finalNorm) {
    this.config = config;
    this.ops = ops;
    this.embedding = embedding;
    this.layers = layers;
    this.finalNorm = finalNorm;
    String frequencyDtype =
        ops.precision() == Precision.BFLOAT16 ? "bfloat16" : config.storedDtype();
    this.rope = new RopeTable(config.headDim(), config.ropeTheta(), frequencyDtype);
    // The reference casts the embedding normalizer sqrt(hidden) like the frequencies: to the checkpoint's
    // dtype (float16 rounds sqrt(128) to 11.3125), then to the math precision.
    this.embedScale = ops.precision().round(RopeTable.roundTo(frequencyDtype, (float) Math.sqrt(config.hiddenSize())));
  }

  /**
   * Loads the weights of a checkpoint through a backend's operations, checking every tensor's shape
   * against {@code config.json}.
   *
   * @throws dev.gemma4j.config.ModelFormatException when a tensor is missing or of the wrong shape
   */
  public static <T> Gemma2Model<T> load(Checkpoint checkpoint, TensorOps<T> ops) {
    return load(checkpoint, ops, WeightQuantization.NONE);
  }

  /**
   * Loads a checkpoint, quantizing the linear layers of a float checkpoint as asked.
   *
   * @throws ModelFormatException when {@code quantize} asks to quantize a checkpoint that already is
   */
  public static <T> Gemma2Model<T> load(Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize) {
    if (quantize != WeightQuantization.NONE && checkpoint.quantization().isPresent()) {
      throw new ModelFormatException(
          checkpoint.folder() + " is already quantized (AWQ); load it without quantize (--quantize)");
    }
    return ops.execute(() -> loadOnDevice(checkpoint, ops, quantize));
  }

  private static <T> Gemma2Model<T> loadOnDevice(Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize) {
    ModelConfig c = checkpoint.config();
    long hidden = c.hiddenSize();
    long qWidth = (long) c.numHeads() * c.headDim();
    long kvWidth = (long) c.numKvHeads() * c.headDim();
    long inter = c.intermediateSize();
    if (!c.tieWordEmbeddings()) {
      throw new ModelFormatException(
          checkpoint.folder().resolve("config.json")
              + " sets tie_word_embeddings to false; Gemma 2 ties its output head to the embedding"
              + " and gemma4j supports only that");
    }
    EmbeddingTable<T> embedding =
        ops.loadEmbedding(checkpoint, checkpoint.tensor("model.embed_tokens.weight", c.vocabSize(), hidden));
    List<LayerWeights<T>> layers = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      layers.add(
          new LayerWeights<>(
              c.layerType(i),
              ops.loadNormWeight(checkpoint, checkpoint.tensor(p + "input_layernorm.weight", hidden)),
              ops.loadLinearGroup(checkpoint, List.of(
                  source(checkpoint, quantize, p + "self_attn.q_proj", qWidth, hidden),
                  source(checkpoint, quantize, p + "self_attn.k_proj", kvWidth, hidden),
                  source(checkpoint, quantize, p + "self_attn.v_proj", kvWidth, hidden))),
              ops.loadLinear(checkpoint, source(checkpoint, quantize, p + "self_attn.o_proj", hidden, qWidth)),
              ops.loadNormWeight(checkpoint, checkpoint.tensor(p + "post_attention_layernorm.weight", hidden)),
              ops.loadNormWeight(checkpoint, checkpoint.tensor(p + "pre_feedforward_layernorm.weight", hidden)),
              ops.loadLinearGroup(checkpoint, List.of(
                  source(checkpoint, quantize, p + "mlp.gate_proj", inter, hidden),
                  source(checkpoint, quantize, p + "mlp.up_proj", inter, hidden))),
              ops.loadLinear(checkpoint, source(checkpoint, quantize, p + "mlp.down_proj", hidden, inter)),
              ops.loadNormWeight(
                  checkpoint, checkpoint.tensor(p + "post_feedforward_layernorm.weight", hidden))));
    }
    T finalNorm = ops.loadNormWeight(checkpoint, checkpoint.tensor("model.norm.weight", hidden));
    return new Gemma2Model<>(c, ops, embedding, List.copyOf(layers), finalNorm);
  }

  /** Where a linear layer's weight comes from, checked against the shape the config implies. */
  private static LinearSource source(
      Checkpoint checkpoint, WeightQuantization quantize, String layer, long out, long in) {
    Optional<Quantization> quantization = checkpoint.quantization();
    if (quantization.isEmpty()) {
      TensorInfo weight = checkpoint.tensor(layer + ".weight", out, in);
      if (quantize == WeightQuantization.INT4) {
        int group = WeightQuantizer.int4GroupSize(in);
        if (group == 0 || out % 8 != 0) {
          throw new ModelFormatException(layer + " is " + out + " x " + in + ", which 4-bit groups cannot cover"
              + " (input features a multiple of 32, outputs of 8); load it without --quantize");
        }
        return new LinearSource.QuantizeAtLoad(weight, quantize, group);
      }
      if (quantize == WeightQuantization.INT8) {
        return new LinearSource.QuantizeAtLoad(weight, quantize, 0);
      }
      return new LinearSource.Dense(weight);
    }
    int group = quantization.get().groupSize();
    if (in % group != 0 || out % 8 != 0) {
      throw new ModelFormatException(
          layer + " is " + out + " x " + in + ", which AWQ group " + group + " cannot cover: the input features must"
              + " be a multiple of the group size and the output features of 8");
    }
    return new LinearSource.Awq(
        checkpoint.packedTensor(layer + ".qweight", in, out / 8),
        checkpoint.packedTensor(layer + ".qzeros", in / group, out / 8),
        checkpoint.tensor(layer + ".scales", in / group, out),
        group);
  }

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

  /** The spec of a KV cache for this model with the given blocks per layer kind. */
  public KvCacheSpec kvCacheSpec(int blockSize, int fullBlocks, int slidingBlocks) {
    return new KvCacheSpec(
        config.layerTypes(), blockSize, fullBlocks, slidingBlocks, config.numKvHeads(), config.headDim());
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
    T h = ops.scale(embedding.lookup(batch.tokens()), embedScale);
    T cos = ops.fromHost(rope.cos(batch.positions()), batch.rows(), config.headDim());
    T sin = ops.fromHost(rope.sin(batch.positions()), batch.rows(), config.headDim());
    AttentionStep<T> attention =
        ops.prepareAttention(batch.attention(), cache, config.attentionScale(), config.attnSoftcap());
    double eps = config.rmsNormEps();
    // Each residual addition is fused with the norm that follows it: the pre-feedforward norm, then the
    // next layer's input norm, and after the last layer the final norm.
    T x = ops.rmsNorm(h, layers.getFirst().inputNorm(), eps);
    for (int i = 0; i < layers.size(); i++) {
      ops.beginLayer(i);
      LayerWeights<T> w = layers.get(i);
      List<T> qkv = ops.linearGroup(x, w.qkv());
      T q = ops.rope(qkv.get(0), cos, sin, config.numHeads());
      T k = ops.rope(qkv.get(1), cos, sin, config.numKvHeads());
      T attended = ops.linear(attention.attend(i, q, k, qkv.get(2)), w.o());
      ResidualNorm<T> afterAttention =
          ops.addRmsNorm(h, ops.rmsNorm(attended, w.postAttentionNorm(), eps), w.preFeedforwardNorm(), eps);
      h = afterAttention.sum();
      T mlp = ops.linear(ops.gatedGelu(afterAttention.normed(), w.gateUp()), w.down());
      T y = ops.rmsNorm(mlp, w.postFeedforwardNorm(), eps);
      T nextNorm = i + 1 < layers.size() ? layers.get(i + 1).inputNorm() : finalNorm;
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
    T logits = embedding.project(normed);
    return config.finalSoftcap() > 0 ? ops.softcap(logits, config.finalSoftcap()) : logits;
  }

  /** Frees the weights (and any KV cache not closed yet). */
  @Override
  public void close() {
    ops.close();
  }
}
