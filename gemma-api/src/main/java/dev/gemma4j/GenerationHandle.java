package dev.gemma4j;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;

/**
 * A submitted generation, as {@link Gemma#stream(Prompt, GenerationConfig, java.util.function.Consumer)} and
 * {@link dev.gemma4j.spi.Generator#submit} return it: its result to wait for, and cancellation.
 */
public interface GenerationHandle {
  /**
   * Completes with the result, also when the request is cancelled or times out, or exceptionally with a
   * {@link GemmaException} that says why it failed. Cancelling this future cancels the generation.
   */
  java.util.concurrent.CompletableFuture<Generation> result();

  /** Asks the request to stop at the next step; its result then says {@code CANCELLED}. */
  void cancel();

  /**
   * Waits for the result.
   *
   * @throws GemmaException when the request failed, naming why (the cause attached); when the waiting
   *     thread is interrupted, the generation is cancelled and this throws at once with the thread's
   *     interrupt flag set
   */
  default Generation await() {
    try {
      return result().get();
    } catch (InterruptedException e) {
      cancel();
      Thread.currentThread().interrupt();
      throw new GemmaException("interrupted while waiting for the generation; it was cancelled", e);
    } catch (ExecutionException e) {
      // The two failures a caller acts on keep their type (retry later; open again); others are wrapped
      // so that the stack trace shows the waiting caller.
      throw switch (e.getCause()) {
        case QueueFullException full -> full;
        case EngineClosedException closed -> closed;
        case GemmaException g -> new GemmaException(g.getMessage(), g);
        case Throwable cause -> new GemmaException("the generation failed: " + cause, cause);
      };
    } catch (CancellationException e) {
      throw new GemmaException("the generation's future was cancelled", e);
    }
  }
}
