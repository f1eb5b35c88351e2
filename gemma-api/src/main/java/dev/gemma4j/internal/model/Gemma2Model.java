package dev.gemma4j.internal.model;

import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.TensorOps;
import java.util.List;

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}): weights under {@code model.}, queries and keys rotated straight from
 * their projections, attention scores soft-capped by {@code attn_logit_softcapping}.
 *
 * @param <T> the backend's tensor type
 */
final class Gemma2Model<T> extends DecoderModel<T> {
  private Gemma2Model(ModelConfig config, TensorOps<T> ops, DecoderWeights<T> weights) {
    super(config, ops, weights);
  }

  static final String PREFIX = "model.";

  static <T> Gemma2Model<T> create(Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize) {
    return new Gemma2Model<>(checkpoint.config(), ops, DecoderWeights.load(checkpoint, ops, quantize, PREFIX, false));
  }

  static List<WeightSpec> layout(ModelConfig config) {
    return DecoderWeights.layout(config, PREFIX, false);
  }

  @Override
  T attentionBeforeOutput(int layer, DecoderWeights.Layer w, T x, T cos, T sin, AttentionStep<T> attention) {
    TensorOps<T> ops = ops();
    List<T> qkv = ops.linearGroup(x, w.qkv());
    T q = ops.rope(qkv.get(0), cos, sin, config().numHeads());
    T k = ops.rope(qkv.get(1), cos, sin, config().numKvHeads());
    return attention.attend(layer, q, k, qkv.get(2));
  }
}
