package dev.gemma4j.internal.model;

import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.config.Quantization;
import dev.gemma4j.internal.quant.WeightQuantizer;
import dev.gemma4j.spi.EmbeddingTable;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.LinearWeight;
import dev.gemma4j.spi.TensorOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The weights of a Gemma-family decoder (Gemma 2 and 3 share the layer layout: four norms around attention
 * and a gated MLP), loaded through a backend and checked against the config's shapes. The architecture
 * names where they lie ({@code prefix}) and whether its attention normalizes queries and keys.
 *
 * @param <T> the backend's tensor type
 */
record DecoderWeights<T>(EmbeddingTable<T> embedding, List<Layer<T>> layers, T finalNorm) {

  /**
   * One layer's weights; q/k/v and gate/up are groups a backend may run as one matrix product each.
   *
   * @param queryNorm the per-head norm of the queries (Gemma 3), or {@code null}
   * @param keyNorm the per-head norm of the keys (Gemma 3), or {@code null}
   */
  record Layer<T>(
      LayerType type,
      T inputNorm,
      LinearWeight qkv,
      @Nullable T queryNorm,
      @Nullable T keyNorm,
      LinearWeight o,
      T postAttentionNorm,
      T preFeedforwardNorm,
      LinearWeight gateUp,
      LinearWeight down,
      T postFeedforwardNorm) {}

  /**
   * Loads every tensor under {@code prefix} ({@code "model."} for a text checkpoint).
   *
   * @param headNorms whether each layer has {@code self_attn.q_norm} and {@code k_norm} of one head's width
   */
  static <T> DecoderWeights<T> load(
      Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize, String prefix, boolean headNorms) {
    ModelConfig c = checkpoint.config();
    long hidden = c.hiddenSize();
    long qWidth = (long) c.numHeads() * c.headDim();
    long kvWidth = (long) c.numKvHeads() * c.headDim();
    long inter = c.intermediateSize();
    if (!c.tieWordEmbeddings()) {
      throw new ModelFormatException(checkpoint.folder().resolve("config.json") + " sets tie_word_embeddings to false;"
          + " Gemma models tie their output head to the embedding and gemma4j supports only that");
    }
    EmbeddingTable<T> embedding =
        ops.loadEmbedding(checkpoint, checkpoint.tensor(prefix + "embed_tokens.weight", c.vocabSize(), hidden));
    List<Layer<T>> layers = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      String p = prefix + "layers." + i + ".";
      List<LinearSource> qkv = List.of(
          source(checkpoint, quantize, p + "self_attn.q_proj", qWidth, hidden),
          source(checkpoint, quantize, p + "self_attn.k_proj", kvWidth, hidden),
          source(checkpoint, quantize, p + "self_attn.v_proj", kvWidth, hidden));
      layers.add(new Layer<>(
          c.layerType(i),
          norm(checkpoint, ops, p + "input_layernorm.weight", hidden),
          // Without head norms the keys reach attention through RoPE alone, a linear map, so a backend may
          // fold attention's score factor into the key weights; a norm in between would undo it.
          ops.loadAttentionProjections(checkpoint, qkv, !headNorms),
          headNorms ? norm(checkpoint, ops, p + "self_attn.q_norm.weight", c.headDim()) : null,
          headNorms ? norm(checkpoint, ops, p + "self_attn.k_norm.weight", c.headDim()) : null,
          ops.loadLinear(checkpoint, source(checkpoint, quantize, p + "self_attn.o_proj", hidden, qWidth)),
          norm(checkpoint, ops, p + "post_attention_layernorm.weight", hidden),
          norm(checkpoint, ops, p + "pre_feedforward_layernorm.weight", hidden),
          ops.loadLinearGroup(checkpoint, List.of(
              source(checkpoint, quantize, p + "mlp.gate_proj", inter, hidden),
              source(checkpoint, quantize, p + "mlp.up_proj", inter, hidden))),
          ops.loadLinear(checkpoint, source(checkpoint, quantize, p + "mlp.down_proj", hidden, inter)),
          norm(checkpoint, ops, p + "post_feedforward_layernorm.weight", hidden)));
    }
    return new DecoderWeights<>(embedding, List.copyOf(layers), norm(checkpoint, ops, prefix + "norm.weight", hidden));
  }

  private static <T> T norm(Checkpoint checkpoint, TensorOps<T> ops, String name, long width) {
    return ops.loadNormWeight(checkpoint, checkpoint.tensor(name, width));
  }

  /** Where a linear layer's weight comes from, checked against the shape the config implies. */
  private static LinearSource source(Checkpoint checkpoint, WeightQuantization quantize, String layer, long out, long in) {
    Optional<Quantization> quantization = checkpoint.quantization();
    if (quantization.isEmpty()) {
      TensorInfo weight = checkpoint.tensor(layer + ".weight", out, in);
      if (quantize == WeightQuantization.INT4) {
        int group = WeightQuantizer.int4GroupSize(in);
        if (group == 0 || out % 8 != 0) {
          throw new ModelFormatException(layer + " is " + out + " x " + in + ", which 4-bit groups cannot cover"
              + " (input features a multiple of 32, outputs of 8); load it unquantized (WeightQuantization.NONE)");
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
}
