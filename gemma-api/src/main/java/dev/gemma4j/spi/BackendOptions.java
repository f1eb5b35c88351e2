package dev.gemma4j.spi;

/**
 * What the application asks of a backend when opening it.
 *
 * @param precision the activation precision
 * @param deviceIndex which device of the backend's kind (e.g. {@code 1} for {@code npu:1})
 * @param threads compute threads for host backends; {@code 0} lets the backend choose
 */
public record BackendOptions(Precision precision, int deviceIndex, int threads) {

  /** Validates the numbers. */
  public BackendOptions {
    if (deviceIndex < 0) {
      throw new IllegalArgumentException("device index must not be negative: " + deviceIndex);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must not be negative: " + threads);
    }
  }

  /** float32, device 0, backend-chosen threads. */
  public static BackendOptions defaults() {
    return new BackendOptions(Precision.FLOAT32, 0, 0);
  }
}
