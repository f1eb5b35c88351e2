package dev.gemma4j;

import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.BatchEngine;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.hub.ModelResolver;
import dev.gemma4j.model.Gemma2Model;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.BackendProvider;
import dev.gemma4j.spi.Backends;
import dev.gemma4j.spi.Generator;
import dev.gemma4j.spi.MemorySnapshot;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Gemma 2 model, loaded and ready to generate. Thread-safe: concurrent calls are batched.
 *
 * <pre>{@code
 * try (var gemma = Gemma.open("google/gemma-2-9b-it")) {
 *   System.out.println(gemma.generate("The capital of France is"));
 * }
 * }</pre>
 */
public final class Gemma implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Gemma.class);

  private final Path folder;
  private final Checkpoint checkpoint;
  private final @Nullable GemmaTokenizer tokenizer;
  private final Backend backend;
  private final Gemma2Model<?> model;
  private final BatchEngine engine;
  private final GenerationConfig defaultConfig;
  private boolean closed;

  private Gemma(
      Path folder,
      Checkpoint checkpoint,
      @Nullable GemmaTokenizer tokenizer,
      Backend backend,
      Gemma2Model<?> model,
      BatchEngine engine) {
    this.folder = folder;
    this.checkpoint = checkpoint;
    this.tokenizer = tokenizer;
    this.backend = backend;
    this.model = model;
    this.engine = engine;
    this.defaultConfig = GenerationConfig.from(checkpoint.generationDefaults()).build();
  }

  /** Opens a model id ({@code google/gemma-2-2b-it}) or checkpoint folder with default options. */
  public static Gemma open(String model) {
    return open(model, GemmaOptions.defaults());
  }

  /**
   * Opens a model: resolves the id or folder (see {@link ModelResolver}), picks the backend, loads the
   * weights and starts the batching engine.
   *
   * @throws GemmaException when the model cannot be found, read or loaded; the message says why
   */
  public static Gemma open(String model, GemmaOptions options) {
    return open(ModelResolver.fromEnvironment(options).resolve(model), options);
  }

  /** Opens a checkpoint folder. */
  public static Gemma open(Path folder, GemmaOptions options) {
    BackendProvider provider = Backends.discover().select(options.backend());
    Checkpoint checkpoint = Checkpoint.open(folder);
    GemmaTokenizer tokenizer = null;
    Backend backend = null;
    Gemma2Model<?> model = null;
    try {
      tokenizer = Files.isRegularFile(folder.resolve("tokenizer.json")) ? GemmaTokenizer.load(folder) : null;
      backend =
          provider.open(
              new BackendOptions(options.precision(), options.resolvedDeviceIndex(), options.threads()));
      long start = System.nanoTime();
      model = Gemma2Model.load(checkpoint, backend.ops());
      if (!backend.ops().readsCheckpointAfterLoad()) {
        checkpoint.close(); // the weights were copied: unmapping the files frees their pages
      }
      LOG.info(
          "loaded {} on {} in {} ms",
          checkpoint.config().summary(),
          backend.deviceName(),
          (System.nanoTime() - start) / 1_000_000);
      Set<Integer> eos = new LinkedHashSet<>(checkpoint.generationDefaults().eosIds());
      eos.addAll(checkpoint.config().eosIds());
      BatchEngine engine =
          new BatchEngine(
              model, tokenizer, eos, backend.memoryProbe(), options.engine().withDefaultBlockSize(backend.preferredBlockSize()));
      return new Gemma(folder, checkpoint, tokenizer, backend, model, engine);
    } catch (RuntimeException | Error e) {
      if (model != null) {
        model.close();
      }
      if (backend != null) {
        backend.close();
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
      checkpoint.close();
      throw e;
    }
  }

  /** Greedy generation of up to 256 tokens from plain text; returns the text. */
  public String generate(String prompt) {
    return generate(Prompt.text(prompt), defaultConfig).text();
  }

  /** Generates and waits for the result. */
  public Generation generate(Prompt prompt, GenerationConfig config) {
    return submit(prompt, config, event -> {}).result().join();
  }

  /**
   * Starts a generation and returns at once; {@code listener} receives each token as it is generated
   * (on the engine thread: keep it short). The handle's future completes with the result.
   */
  public Generator.Handle submit(Prompt prompt, GenerationConfig config, Consumer<TokenEvent> listener) {
    return engine.submit(encode(prompt), config, listener);
  }

  /** Like {@link #submit}: streams tokens to {@code listener} as they are generated. */
  public Generator.Handle stream(Prompt prompt, GenerationConfig config, Consumer<TokenEvent> listener) {
    return submit(prompt, config, listener);
  }

  /**
   * Starts a generation to be consumed by pulling: iterate the returned stream, or use its
   * {@link TokenStream#events()}; close it to cancel.
   */
  public TokenStream stream(Prompt prompt, GenerationConfig config) {
    int[] ids = encode(prompt);
    return new TokenStream(listener -> engine.submit(ids, config, listener));
  }

  /**
   * A cold {@link Flow.Publisher} of tokens: each subscription runs the generation once, honouring the
   * subscriber's demand; cancelling the subscription cancels the generation.
   */
  public Flow.Publisher<TokenEvent> publisher(Prompt prompt, GenerationConfig config) {
    int[] ids = encode(prompt);
    return new TokenPublisher(listener -> engine.submit(ids, config, listener));
  }

  /** Answers the last user turn of a conversation. */
  public Generation chat(List<ChatMessage> messages, GenerationConfig config) {
    return generate(Prompt.chat(messages), config);
  }

  /**
   * The token ids a prompt runs as: BOS, then the text's tokens (chat prompts through the template).
   *
   * @throws GemmaException for text prompts when the checkpoint has no tokenizer
   */
  public int[] encode(Prompt prompt) {
    int[] ids = prompt.tokenIds();
    if (ids != null) {
      return ids;
    }
    List<ChatMessage> messages = prompt.messages();
    String text = messages != null ? ChatTemplate.render(messages) : prompt.plainText();
    return requireTokenizer().encode(text == null ? "" : text);
  }

  private GemmaTokenizer requireTokenizer() {
    if (tokenizer == null) {
      throw new GemmaException(
          folder + " has no tokenizer.json, so text prompts cannot be encoded; pass token ids"
              + " (Prompt.ids) or add the model's tokenizer.json to the folder");
    }
    return tokenizer;
  }

  /** The tokenizer, when the checkpoint has one. */
  public Optional<GemmaTokenizer> tokenizer() {
    return Optional.ofNullable(tokenizer);
  }

  /** The defaults of the checkpoint's {@code generation_config.json}. */
  public GenerationConfig defaultConfig() {
    return defaultConfig;
  }

  /** The architecture. */
  public ModelConfig config() {
    return checkpoint.config();
  }

  /** The checkpoint folder. */
  public Path folder() {
    return folder;
  }

  /**
   * What identifies the weights: the hub commit when the folder is a cache snapshot
   * ({@code .../snapshots/<commit>}), else a fingerprint of {@code config.json} and the weight files'
   * names and sizes.
   */
  public String revision() {
    return ModelRevision.of(folder, checkpoint);
  }

  /** The backend's name ({@code cpu}, {@code npu}). */
  public String backendName() {
    return backend.name();
  }

  /** The device in words. */
  public String deviceName() {
    return backend.deviceName();
  }

  /** Memory now, as the backend's probe reads it. */
  public MemorySnapshot memory() {
    return backend.memoryProbe().snapshot();
  }

  /** The process's memory right after loading (weights and KV cache allocated). */
  public long memoryAfterLoadBytes() {
    return engine.memoryAfterLoad();
  }

  /** The batching engine and its KV cache now: blocks in use and at peak, prefix hits, preemptions. */
  public EngineStats engineStats() {
    return engine.stats();
  }

  /** The generator the facade runs on, for applications that work with token ids. */
  public Generator generator() {
    return engine;
  }

  /** The loaded model, for low-level use (scoring, golden checks). */
  public Gemma2Model<?> model() {
    return model;
  }

  /** Stops the engine (running requests end as cancelled) and frees the model; later calls do nothing. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    engine.close();
    backend.close();
    if (tokenizer != null) {
      tokenizer.close();
    }
    checkpoint.close();
  }
}
