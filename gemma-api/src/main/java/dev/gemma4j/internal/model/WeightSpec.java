package dev.gemma4j.internal.model;

import java.util.List;

/**
 * One tensor an architecture reads from a float checkpoint: its name, shape and role. Tools that write
 * checkpoints (random weights for benchmarks) take the list from {@link ModelRegistry#layout}, so the
 * registry stays the one place that knows a model's names and shapes.
 *
 * @param name the tensor's name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param shape its shape
 * @param role what it is
 */
public record WeightSpec(String name, List<Long> shape, Role role) {
  /** What a tensor is to the model. */
  public enum Role {
    /** The embedding matrix {@code [vocab, hidden]}, also the output head. */
    EMBEDDING,
    /** An RMSNorm weight, applied as {@code 1 + w}. */
    NORM,
    /** A linear layer's weight {@code [out, in]}; quantized checkpoints store it as AWQ tensors instead. */
    LINEAR
  }

  /** Validates and copies. */
  public WeightSpec {
    shape = List.copyOf(shape);
  }
}
