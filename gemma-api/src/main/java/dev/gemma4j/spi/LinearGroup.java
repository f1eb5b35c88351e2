package dev.gemma4j.spi;

import java.util.List;

/**
 * Linear layers that read the same input (q, k and v; gate and up), each loaded on its own: what
 * {@link TensorOps#loadLinearGroup} gives for backends that run them one by one. Backends that run a group
 * as one matrix product return their own {@link LinearWeight} instead.
 *
 * @param parts the layers, in the order their outputs are returned
 */
public record LinearGroup(List<LinearWeight> parts) implements LinearWeight {
  /** Copies the parts; all must read the same number of input features. */
  public LinearGroup {
    List<LinearWeight> copy = List.copyOf(parts);
    parts = copy;
    if (copy.isEmpty() || copy.stream().anyMatch(p -> p.inFeatures() != copy.getFirst().inFeatures())) {
      throw new IllegalArgumentException("a linear group needs layers that read the same input features");
    }
  }

  /** Every part's output features together. */
  @Override
  public int outFeatures() {
    return parts.stream().mapToInt(LinearWeight::outFeatures).sum();
  }

  @Override
  public int inFeatures() {
    return parts.getFirst().inFeatures();
  }
}
