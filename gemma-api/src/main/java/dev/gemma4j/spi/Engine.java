package dev.gemma4j.spi;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.engine.EngineInfo;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What {@link dev.gemma4j.Gemma} runs on: a model loaded in this process (continuous batching over a
 * paged KV cache on a backend) or a server elsewhere that serves one. The facade's {@code generate},
 * {@code stream}, {@code publisher} and {@code chat} are thin layers over {@link #submit}, so every engine
 * offers the same API.
 *
 * <p>Contract: listeners never run on a thread that computes other requests; what one request carries (a
 * listener that throws or blocks, a bad value) never fails another request or the engine; after
 * {@link #close()} every request in flight or queued has ended and later calls fail with a
 * {@link dev.gemma4j.GemmaException}; after an engine failure every pending and later call fails with a
 * {@code GemmaException} that carries the cause.
 */
public interface Engine extends Generator {

  /**
   * Starts a generation from a prompt of any kind and returns at once.
   *
   * @throws dev.gemma4j.GemmaException when the request cannot be served (see
   *     {@link Generator#submit(int[], GenerationConfig, Consumer)})
   */
  GenerationHandle submit(Prompt prompt, GenerationConfig config, Consumer<TokenEvent> listener);

  /** What the engine serves and where. */
  EngineInfo info();

  /** The engine now: requests running and waiting, KV-cache blocks, prefix-cache hits, steps. */
  EngineStats stats();

  /** Whether the engine accepts requests now: false once it is closed or has failed. */
  boolean isOpen();

  /** The tokenizer, when this engine has one in the process. */
  Optional<GemmaTokenizer> tokenizer();
}
