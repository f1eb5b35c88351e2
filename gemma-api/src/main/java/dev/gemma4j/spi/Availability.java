package dev.gemma4j.spi;

/**
 * Whether a backend can run here, and why not when it cannot.
 *
 * @param available whether {@link BackendProvider#open} may be called
 * @param detail the device found when available, or the reason (missing library, no device, ...)
 */
public record Availability(boolean available, String detail) {

  /** An available backend; {@code device} says what was found. */
  public static Availability available(String device) {
    return new Availability(true, device);
  }

  /** An unavailable backend; {@code reason} says why and, where possible, what to install or set. */
  public static Availability unavailable(String reason) {
    return new Availability(false, reason);
  }
}
