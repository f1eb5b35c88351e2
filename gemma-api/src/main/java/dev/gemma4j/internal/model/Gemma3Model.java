package dev.gemma4j.internal.model;

import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.TensorOps;
import java.util.List;

/**
 * Gemma 3's language model, as transformers' {@code Gemma3ForCausalLM} computes it: Gemma 2's layer with
 * queries and keys normalized per head ({@code q_norm}, {@code k_norm}) before RoPE, a RoPE of its own per
 * layer kind (chosen by {@link DecoderModel}), and no attention soft-cap. The weights lie under
 * {@code model.} in a text checkpoint and under the language model's prefix in a
 * {@code Gemma3ForConditionalGeneration} one, whose vision tower is not loaded.
 *
 * @param <T> the backend's tensor type
 */
final class Gemma3Model<T> extends DecoderModel<T> {
  /** Where the language model's weights lie: text checkpoints, then transformers 4's and 5's multimodal ones. */
  static final List<String> PREFIXES = List.of("model.", "language_model.model.", "model.language_model.");

  private Gemma3Model(ModelConfig config, TensorOps<T> ops, DecoderWeights<T> weights) {
    super(config, ops, weights);
  }

  static <T> Gemma3Model<T> create(Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize) {
    return new Gemma3Model<>(
        checkpoint.config(), ops, DecoderWeights.load(checkpoint, ops, quantize, prefix(checkpoint), true));
  }

  /** A text checkpoint's tensors. */
  static List<WeightSpec> layout(ModelConfig config) {
    return DecoderWeights.layout(config, PREFIXES.getFirst(), true);
  }

  private static String prefix(Checkpoint checkpoint) {
    for (String prefix : PREFIXES) {
      if (checkpoint.tensors().containsKey(prefix + "embed_tokens.weight")) {
        return prefix;
      }
    }
    throw new ModelFormatException(checkpoint.folder() + " holds no Gemma 3 embedding (looked for "
        + String.join(", ", PREFIXES.stream().map(p -> p + "embed_tokens.weight").toList())
        + "); the weights do not belong to the Gemma 3 model config.json describes");
  }

  @Override
  T attentionBeforeOutput(int layer, DecoderWeights.Layer w, T x, T cos, T sin, AttentionStep<T> attention) {
    TensorOps<T> ops = ops();
    ModelConfig c = config();
    double eps = c.rmsNormEps();
    List<T> qkv = ops.linearGroup(x, w.qkv());
    T q = ops.rope(ops.rmsNormHeads(qkv.get(0), w.queryNorm(), c.numHeads(), eps), cos, sin, c.numHeads());
    T k = ops.rope(ops.rmsNormHeads(qkv.get(1), w.keyNorm(), c.numKvHeads(), eps), cos, sin, c.numKvHeads());
    return attention.attend(layer, q, k, qkv.get(2));
  }
}
