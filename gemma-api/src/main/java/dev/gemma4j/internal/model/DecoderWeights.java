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
import dev.gemma4j.spi.NormWeight;
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
record DecoderWeights<T>(EmbeddingTable<T> embedding, List<Layer> layers, NormWeight finalNorm) {

  /**
   * One layer's weights; q/k/v and gate/up are groups a backend may run as one matrix product each.
   *
   * @param queryNorm the per-head norm of the queries (Gemma 3), or {@code null}
   * @param keyNorm the per-head norm of the keys (Gemma 3), or {@code null}
   */
  record Layer(
      LayerType type,
      NormWeight inputNorm,
      LinearWeight qkv,
      @Nullable NormWeight queryNorm,
      @Nullable NormWeight keyNorm,
      LinearWeight o,
      NormWeight postAttentionNorm,
      NormWeight preFeedforwardNorm,
      LinearWeight gateUp,
      LinearWeight down,
      NormWeight postFeedforwardNorm) {}

  /**
   * The tensors of a decoder under {@code prefix} ({@code "model."} for a text checkpoint), in checkpoint
   * order, with the shapes the config implies.
   *
   * @param headNorms whether each layer has {@code self_attn.q_norm} and {@code k_norm} of one head's width
   */
  static List<WeightSpec> layout(ModelConfig c, String prefix, boolean headNorms) {
    long hidden = c.hiddenSize();
    long qWidth = (long) c.numHeads() * c.headDim();
    long kvWidth = (long) c.numKvHeads() * c.headDim();
    long inter = c.intermediateSize();
    List<WeightSpec> out = new ArrayList<>();
    out.add(new WeightSpec(prefix + "embed_tokens.weight", List.of((long) c.vocabSize(), hidden), WeightSpec.Role.EMBEDDING));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = prefix + "layers." + i + ".";
      out.add(norm(p + "input_layernorm.weight", hidden));
      out.add(linear(p + "self_attn.q_proj", qWidth, hidden));
      out.add(linear(p + "self_attn.k_proj", kvWidth, hidden));
      out.add(linear(p + "self_attn.v_proj", kvWidth, hidden));
      if (headNorms) {
        out.add(norm(p + "self_attn.q_norm.weight", c.headDim()));
        out.add(norm(p + "self_attn.k_norm.weight", c.headDim()));
      }
      out.add(linear(p + "self_attn.o_proj", hidden, qWidth));
      out.add(norm(p + "post_attention_layernorm.weight", hidden));
      out.add(norm(p + "pre_feedforward_layernorm.weight", hidden));
      out.add(linear(p + "mlp.gate_proj", inter, hidden));
      out.add(linear(p + "mlp.up_proj", inter, hidden));
      out.add(linear(p + "mlp.down_proj", hidden, inter));
      out.add(norm(p + "post_feedforward_layernorm.weight", hidden));
    }
    out.add(norm(prefix + "norm.weight", hidden));
    return List.copyOf(out);
  }

  private static WeightSpec norm(String name, long width) {
    return new WeightSpec(name, List.of(width), WeightSpec.Role.NORM);
  }

  private static WeightSpec linear(String layer, long out, long in) {
    return new WeightSpec(layer + ".weight", List.of(out, in), WeightSpec.Role.LINEAR);
  }

  /**
   * Loads every tensor of {@link #layout} through a backend, checking each one's shape; q/k/v and gate/up go
   * to the backend as groups.
   */
  static <T> DecoderWeights<T> load(
      Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize, String prefix, boolean headNorms) {
    ModelConfig c = checkpoint.config();
    if (!c.tieWordEmbeddings()) {
      throw new ModelFormatException(checkpoint.folder().resolve("config.json") + " sets tie_word_embeddings to false;"
          + " Gemma models tie their output head to the embedding and gemma4j supports only that");
    }
    java.util.Iterator<WeightSpec> specs = layout(c, prefix, headNorms).iterator();
    EmbeddingTable<T> embedding = ops.loadEmbedding(checkpoint, tensor(checkpoint, specs.next()));
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      NormWeight inputNorm = norm(checkpoint, ops, specs.next());
      List<LinearSource> qkv = List.of(
          source(checkpoint, quantize, specs.next()), source(checkpoint, quantize, specs.next()),
          source(checkpoint, quantize, specs.next()));
      NormWeight queryNorm = headNorms ? norm(checkpoint, ops, specs.next()) : null;
      NormWeight keyNorm = headNorms ? norm(checkpoint, ops, specs.next()) : null;
      LinearWeight o = ops.loadLinear(checkpoint, source(checkpoint, quantize, specs.next()));
      NormWeight postAttentionNorm = norm(checkpoint, ops, specs.next());
      NormWeight preFeedforwardNorm = norm(checkpoint, ops, specs.next());
      LinearWeight gateUp = ops.loadLinearGroup(checkpoint, List.of(
          source(checkpoint, quantize, specs.next()), source(checkpoint, quantize, specs.next())));
      LinearWeight down = ops.loadLinear(checkpoint, source(checkpoint, quantize, specs.next()));
      NormWeight postFeedforwardNorm = norm(checkpoint, ops, specs.next());
      // Without head norms the keys reach attention through RoPE alone, a linear map, so a backend may fold
      // attention's score factor into the key weights; a norm in between would undo it.
      layers.add(new Layer(c.layerType(i), inputNorm, ops.loadAttentionProjections(checkpoint, qkv, !headNorms),
          queryNorm, keyNorm, o, postAttentionNorm, preFeedforwardNorm, gateUp, down, postFeedforwardNorm));
    }
    NormWeight finalNorm = norm(checkpoint, ops, specs.next());
    return new DecoderWeights<>(embedding, List.copyOf(layers), finalNorm);
  }

  private static TensorInfo tensor(Checkpoint checkpoint, WeightSpec spec) {
    return checkpoint.tensor(spec.name(), spec.shape().stream().mapToLong(Long::longValue).toArray());
  }

  private static NormWeight norm(Checkpoint checkpoint, TensorOps<?> ops, WeightSpec spec) {
    return ops.loadNormWeight(checkpoint, tensor(checkpoint, spec));
  }

  /** Where a linear layer's weight comes from, checked against the shape the config implies. */
  private static LinearSource source(Checkpoint checkpoint, WeightQuantization quantize, WeightSpec spec) {
    String layer = spec.name().substring(0, spec.name().length() - ".weight".length());
    long out = spec.shape().get(0);
    long in = spec.shape().get(1);
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
