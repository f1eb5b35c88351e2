package dev.gemma4j;

import java.io.Serial;

/**
 * The engine's request queue is full: the request was not started. Retrying later can succeed; a server
 * answers it with HTTP 429.
 */
public final class QueueFullException extends GemmaException {
  @Serial private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the queue's capacity and the fixes. */
  public QueueFullException(String message) {
    super(message);
  }
}
