package dev.gemma4j.spi;

import dev.gemma4j.EngineClosedException;
import dev.gemma4j.GemmaException;
import dev.gemma4j.QueueFullException;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.TokenEvent;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Turns a prompt's token ids and a generation config into a stream of tokens and a final result with
 * statistics. The facade's {@code generate}, {@code stream} and {@code chat} are thin layers on it. Safe
 * to call from any number of threads; concurrent requests are batched.
 */
public interface Generator extends AutoCloseable {

  /** A running request. */
  interface Handle {
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

  /**
   * Queues a request.
   *
   * @param promptIds the prompt, BOS first
   * @param config how to generate
   * @param listener receives each token as it is generated, in order, on a delivery thread of its own
   *     request (never the thread that computes the batch): a slow listener delays only its request, and
   *     one that throws fails only its request
   * @throws dev.gemma4j.GemmaException when the request cannot be served (prompt longer than the
   *     context, queue full, generator closed or failed)
   */
  Handle submit(int[] promptIds, GenerationConfig config, Consumer<TokenEvent> listener);

  /**
   * Generates and waits for the result.
   *
   * @throws GemmaException when the request fails or the waiting thread is interrupted (see
   *     {@link Handle#await()})
   */
  default Generation generate(int[] promptIds, GenerationConfig config) {
    return submit(promptIds, config, event -> {}).await();
  }

  /** The memory probe of the device the generator runs on. */
  MemoryProbe memoryProbe();

  /**
   * Stops accepting requests; requests in flight and queued end with {@code CANCELLED}; frees the
   * generator's resources. Safe to call from any thread, a token listener included, and more than once.
   */
  @Override
  void close();
}
