package dev.gemma4j.backend.npu;

import dev.gemma4j.GemmaException;
import java.io.Serial;

/** A CANN call failed: the message names the function or operator, its status and CANN's own message. */
public final class AscendException extends GemmaException {
  @Serial private static final long serialVersionUID = 1L;

  private final int status;

  /** Creates the exception for {@code function}, which returned {@code status}. */
  public AscendException(String function, int status, String cannMessage) {
    super(function + " failed with status " + status + (cannMessage.isBlank() ? "" : ": " + cannMessage));
    this.status = status;
  }

  /** The status code CANN returned. */
  public int status() {
    return status;
  }
}
