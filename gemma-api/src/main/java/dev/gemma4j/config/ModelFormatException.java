package dev.gemma4j.config;

import dev.gemma4j.GemmaException;
import java.io.Serial;
import org.jspecify.annotations.Nullable;

/**
 * A checkpoint file is missing, unreadable or inconsistent: a missing {@code config.json}, a model type
 * other than Gemma 2, a corrupt safetensors header, a tensor that is absent or of the wrong shape.
 */
public final class ModelFormatException extends GemmaException {
  @Serial private static final long serialVersionUID = 1L;

  /** Creates the exception; the message names the file and the problem. */
  public ModelFormatException(String message) {
    super(message);
  }

  /** Creates the exception with its cause; the message names the file and the problem. */
  public ModelFormatException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
