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

  /**
   * A tensor of a decoder layer the config does not declare (its layer number at or past
   * {@code num_hidden_layers}), under any prefix the architecture reads weights from; empty when there is none.
   * Such a tensor means the config and the weights belong to different models.
   */
  public static java.util.Optional<String> strayLayerTensor(ModelConfig config, java.util.Collection<String> names) {
    List<String> prefixes = switch (config.architecture()) {
      case GEMMA2 -> List.of(Gemma2Model.PREFIX);
      case GEMMA3 -> Gemma3Model.PREFIXES;
    };
    for (String name : names) {
      for (String prefix : prefixes) {
        String layers = prefix + "layers.";
        if (!name.startsWith(layers)) {
          continue;
        }
        int end = name.indexOf('.', layers.length());
        String number = end < 0 ? "" : name.substring(layers.length(), end);
        if (number.matches("\\d+") && (number.length() > 9 || Integer.parseInt(number) >= config.numLayers())) {
          return java.util.Optional.of(name);
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** The tensors a text checkpoint of {@code config} holds, in order, as a writer of such checkpoints needs them. */
  public static List<WeightSpec> layout(ModelConfig config) {
    return switch (config.architecture()) {
      case GEMMA2 -> Gemma2Model.layout(config);
      case GEMMA3 -> Gemma3Model.layout(config);
    };
  }
}
