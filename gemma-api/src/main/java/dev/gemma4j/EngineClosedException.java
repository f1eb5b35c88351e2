package dev.gemma4j;

import java.io.Serial;
import org.jspecify.annotations.Nullable;

/**
 * The engine serves no more requests: it was closed, or it failed (then {@link #getCause()} says why).
 * Only a new engine can serve again; a server answers it with HTTP 503.
 */
public final class EngineClosedException extends GemmaException {
  @Serial private static final long serialVersionUID = 1L;

  /** Creates the exception; {@code failure} is what ended the engine, or {@code null} when it was closed. */
  public EngineClosedException(String message, @Nullable Throwable failure) {
    super(message, failure);
  }

  /** Whether the engine failed rather than being closed. */
  public boolean failed() {
    return getCause() != null;
  }
}
