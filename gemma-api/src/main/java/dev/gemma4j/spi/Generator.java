package dev.gemma4j.spi;

import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.TokenEvent;
import java.util.function.Consumer;

/**
 * Turns a prompt's token ids and a generation config into a stream of tokens and a final result with
 * statistics. The facade's {@code generate}, {@code stream} and {@code chat} are thin layers on it. Safe
 * to call from any number of threads; concurrent requests are batched.
 */
public interface Generator extends AutoCloseable {

  /** A running request. */
  interface Handle {
    /** Completes with the result; also when the request is cancelled or times out. */
    java.util.concurrent.CompletableFuture<Generation> result();

    /** Asks the request to stop at the next step; its result then says {@code CANCELLED}. */
    void cancel();
  }

  /**
   * Queues a request.
   *
   * @param promptIds the prompt, BOS first
   * @param config how to generate
   * @param listener receives each token as it is generated, on the generator's thread: keep it short
   * @throws dev.gemma4j.GemmaException when the request cannot be served (prompt longer than the
   *     context, queue full, generator closed)
   */
  Handle submit(int[] promptIds, GenerationConfig config, Consumer<TokenEvent> listener);

  /** Generates and waits for the result. */
  default Generation generate(int[] promptIds, GenerationConfig config) {
    return submit(promptIds, config, event -> {}).result().join();
  }

  /** The memory probe of the device the generator runs on. */
  MemoryProbe memoryProbe();

  /** Stops accepting requests, cancels the running ones and frees the generator's resources. */
  @Override
  void close();
}
