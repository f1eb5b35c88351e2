package dev.gemma4j.spi;

import dev.gemma4j.GemmaException;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.TokenEvent;
import java.util.function.Consumer;

/**
 * Turns a prompt's token ids and a generation config into a stream of tokens and a final result with
 * statistics. The facade's {@code generate}, {@code stream} and {@code chat} are thin layers on it. Safe
 * to call from any number of threads; concurrent requests are batched.
 */
public interface Generator extends AutoCloseable {

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
  GenerationHandle submit(int[] promptIds, GenerationConfig config, Consumer<TokenEvent> listener);

  /**
   * Generates and waits for the result.
   *
   * @throws GemmaException when the request fails or the waiting thread is interrupted (see
   *     {@link GenerationHandle#await()})
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
