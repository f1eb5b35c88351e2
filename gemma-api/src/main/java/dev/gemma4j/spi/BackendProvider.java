package dev.gemma4j.spi;

/**
 * A backend, discovered with {@link java.util.ServiceLoader}: a module registers its implementation in
 * {@code META-INF/services/dev.gemma4j.spi.BackendProvider}. Like DJL's {@code EngineProvider}, each
 * provider has a name, a rank (lower is preferred: the Ascend NPU is 1, the CPU 10) and an availability
 * check that explains itself.
 */
public interface BackendProvider {
  /** The short name users select it by, e.g. {@code cpu} or {@code npu}. */
  String name();

  /** Preference among available backends; lower wins. */
  int rank();

  /**
   * The precision used when the application does not choose one: float32 unless the backend's
   * deployments run something else (the NPU runs bfloat16 activations).
   */
  default Precision defaultPrecision() {
    return Precision.FLOAT32;
  }

  /** Whether this backend can run here; cheap enough to call at start-up. */
  Availability availability();

  /**
   * Opens the backend on the device the options name.
   *
   * @throws dev.gemma4j.GemmaException when the device cannot be opened, with the reason
   */
  Backend open(BackendOptions options);
}
