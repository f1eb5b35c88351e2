package dev.gemma4j;

import java.io.Serial;
import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception type of gemma4j. Its message always names what went wrong and, where the
 * user can do something about it, how to fix it.
 */
public class GemmaException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that names the problem and the fix. */
  public GemmaException(String message) {
    super(message);
  }

  /** Creates an exception with a message that names the problem and the fix, and its cause. */
  public GemmaException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
