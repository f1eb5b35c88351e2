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

  /** Whether this backend can run here; cheap enough to call at start-up. */
  Availability availability();

  /**
   * Opens the backend on the device the options name.
   *
   * @throws dev.gemma4j.GemmaException when the device cannot be opened, with the reason
   */
  Backend open(BackendOptions options);
}
