package dev.gemma4j.internal.model;

import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.spi.TensorOps;
import java.util.List;

/**
 * The architectures the engine runs, by the {@link dev.gemma4j.config.Architecture} a config names: the one
 * place that maps an architecture to its model class, and through it to its weight names, shapes and
 * forward pass. Adding an architecture adds a case to each switch here (the compiler finds them).
 */
public final class ModelRegistry {
  private ModelRegistry() {}

  static <T> DecoderModel<T> load(Checkpoint checkpoint, TensorOps<T> ops, WeightQuantization quantize) {
    return switch (checkpoint.config().architecture()) {
      case GEMMA2 -> Gemma2Model.create(checkpoint, ops, quantize);
      case GEMMA3 -> Gemma3Model.create(checkpoint, ops, quantize);
    };
  }

  /** The tensors a text checkpoint of {@code config} holds, in order, as a writer of such checkpoints needs them. */
  public static List<WeightSpec> layout(ModelConfig config) {
    return switch (config.architecture()) {
      case GEMMA2 -> Gemma2Model.layout(config);
      case GEMMA3 -> Gemma3Model.layout(config);
    };
  }
}
