package dev.gemma4j;

import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.hub.ModelResolver;
import dev.gemma4j.internal.engine.LocalEngine;
import dev.gemma4j.internal.remote.RemoteEngine;
import dev.gemma4j.spi.Engine;
import dev.gemma4j.engine.EngineInfo;
import dev.gemma4j.spi.Generator;
import dev.gemma4j.engine.MemorySnapshot;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * A Gemma 2 model, ready to generate. Thread-safe: concurrent calls share one running batch.
 *
 * <pre>{@code
 * try (var gemma = Gemma.open("google/gemma-2-9b-it")) {
 *   System.out.println(gemma.generate("The capital of France is"));
 * }
 * }</pre>
 *
 * <p>The facade runs on an {@link Engine}: a model loaded in this process, or any engine given to
 * {@link #on(Engine)}. Listeners and subscribers never run on the thread that computes the batch, so a
 * slow or failing consumer affects only its own request.
 */
public final class Gemma implements AutoCloseable {
  private final Engine engine;

  private Gemma(Engine engine) {
    this.engine = engine;
  }

  /** Opens a model id ({@code google/gemma-2-2b-it}) or checkpoint folder with default options. */
  public static Gemma open(String model) {
    return open(model, GemmaOptions.defaults());
  }

  /**
   * Opens a model: resolves the id or folder (see {@link ModelResolver}), picks the backend, loads the
   * weights and starts the batching engine. With {@link GemmaOptions#endpoints()}, the model is the one
   * those OpenAI-compatible servers serve under this name instead ({@code gemma serve}, vLLM,
   * vllm-ascend, SGLang, MindIE), with the same API; text then goes to the servers as text (there is no
   * tokenizer here).
   *
   * @throws GemmaException when the model cannot be found, read or loaded; the message says why
   */
  public static Gemma open(String model, GemmaOptions options) {
    if (!options.endpoints().isEmpty()) {
      return new Gemma(RemoteEngine.open(model, options));
    }
    Path folder = ModelResolver.fromEnvironment(options).resolve(model);
    return new Gemma(LocalEngine.open(model, folder, options));
  }

  /** Opens a checkpoint folder. */
  public static Gemma open(Path folder, GemmaOptions options) {
    return new Gemma(LocalEngine.open(folder.toString(), folder, options));
  }

  /** The facade over an engine of your own (a remote server's, a test double); closing it closes the engine. */
  public static Gemma on(Engine engine) {
    return new Gemma(Objects.requireNonNull(engine, "engine"));
  }

  /** Greedy generation (or the model's default decoding) of up to 256 tokens from plain text; returns the text. */
  public String generate(String prompt) {
    return generate(Prompt.text(prompt), defaultConfig()).text();
  }

  /**
   * Generates and waits for the result.
   *
   * @throws GemmaException when the request fails, naming why; when the calling thread is interrupted, the
   *     generation is cancelled and this throws at once with the interrupt flag set
   */
  public Generation generate(Prompt prompt, GenerationConfig config) {
    return engine.submit(prompt, config, event -> {}).await();
  }

  /**
   * Starts a generation and returns at once; {@code listener} receives each token as it is generated, in
   * order, on a delivery thread of this request (never the engine's). The handle's future completes with
   * the result after the last token was delivered; cancelling the future or the handle cancels the
   * generation.
   */
  public GenerationHandle submit(Prompt prompt, GenerationConfig config, Consumer<TokenEvent> listener) {
    return engine.submit(prompt, config, listener);
  }

  /** Like {@link #submit}: streams tokens to {@code listener} as they are generated. */
  public GenerationHandle stream(Prompt prompt, GenerationConfig config, Consumer<TokenEvent> listener) {
    return submit(prompt, config, listener);
  }

  /**
   * Starts a generation to be consumed by pulling: iterate the returned stream, or use its
   * {@link TokenStream#events()}; close it to cancel.
   */
  public TokenStream stream(Prompt prompt, GenerationConfig config) {
    return new TokenStream(listener -> engine.submit(prompt, config, listener));
  }

  /**
   * A cold {@link Flow.Publisher} of tokens that follows the reactive-streams rules: each subscription
   * runs the generation once, honouring the subscriber's demand; cancelling the subscription cancels the
   * generation; a non-positive request signals {@code onError} with an {@link IllegalArgumentException}.
   */
  public Flow.Publisher<TokenEvent> publisher(Prompt prompt, GenerationConfig config) {
    return new TokenPublisher(listener -> engine.submit(prompt, config, listener));
  }

  /** Answers the last user turn of a conversation. */
  public Generation chat(List<ChatMessage> messages, GenerationConfig config) {
    return generate(Prompt.chat(messages), config);
  }

  /**
   * The token ids a prompt runs as: BOS, then the text's tokens (chat prompts through the template).
   *
   * @throws GemmaException for text prompts when the model has no tokenizer in this process
   */
  public int[] encode(Prompt prompt) {
    int[] ids = prompt.tokenIds();
    if (ids != null) {
      return ids;
    }
    return tokenizer()
        .orElseThrow(() -> new GemmaException(
            info().model() + " has no tokenizer in this process (no tokenizer.json), so text prompts cannot"
                + " be encoded here; pass token ids (Prompt.ids) or add the model's tokenizer.json"))
        .encode(prompt);
  }

  /** The tokenizer, when the model has one in this process. */
  public Optional<GemmaTokenizer> tokenizer() {
    return engine.tokenizer();
  }

  /** The defaults of the checkpoint's {@code generation_config.json}. */
  public GenerationConfig defaultConfig() {
    return info().defaults();
  }

  /**
   * The architecture.
   *
   * @throws GemmaException when the engine does not know it (a remote model)
   */
  public ModelConfig config() {
    ModelConfig config = info().config();
    if (config == null) {
      throw new GemmaException("the architecture of " + info().model() + " is not known here: it is served by "
          + info().device());
    }
    return config;
  }

  /**
   * The checkpoint folder.
   *
   * @throws GemmaException when the model is not loaded from a folder in this process
   */
  public Path folder() {
    Path folder = info().folder();
    if (folder == null) {
      throw new GemmaException(info().model() + " is not loaded from a folder here: it is served by " + info().device());
    }
    return folder;
  }

  /**
   * What identifies the weights: the hub commit when the folder is a cache snapshot
   * ({@code .../snapshots/<commit>}), else a fingerprint of {@code config.json} and the weight files'
   * names and sizes (for a remote model, the server's model name).
   */
  public String revision() {
    return info().revision();
  }

  /** The backend's name ({@code cpu}, {@code npu}, {@code remote}). */
  public String backendName() {
    return info().backend();
  }

  /** The device in words. */
  public String deviceName() {
    return info().device();
  }

  /** What the engine serves and where. */
  public EngineInfo info() {
    return engine.info();
  }

  /** Memory now, as the backend's probe reads it. */
  public MemorySnapshot memory() {
    return engine.memoryProbe().snapshot();
  }

  /** The process's memory right after loading (weights and KV cache allocated). */
  public long memoryAfterLoadBytes() {
    return info().memoryAfterLoadBytes();
  }

  /** The batching engine and its KV cache now: requests running and waiting, blocks, prefix hits. */
  public EngineStats engineStats() {
    return engine.stats();
  }

  /** Whether the model accepts requests: false once it is closed or its engine has failed. */
  public boolean isOpen() {
    return engine.isOpen();
  }

  /** The generator of token ids the facade runs on, for applications that work with ids. */
  public Generator generator() {
    return engine;
  }

  /**
   * Stops the engine and frees the model. Requests in flight and queued end with
   * {@link FinishReason#CANCELLED} (their futures complete normally with the tokens they have); later
   * calls fail with a {@link GemmaException}. Safe to call from any thread, a token listener included,
   * and more than once.
   */
  @Override
  public void close() {
    engine.close();
  }
}
