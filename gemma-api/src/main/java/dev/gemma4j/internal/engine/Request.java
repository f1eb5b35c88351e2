package dev.gemma4j.internal.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.TokenLogprobs;
import dev.gemma4j.TopLogits;
import dev.gemma4j.internal.grammar.GrammarMatcher;
import dev.gemma4j.spi.Sampler;
import dev.gemma4j.spi.SamplingRow;
import dev.gemma4j.tokenizer.TokenTextDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One generation request inside the engine: what was asked (prompt, config, stop ids, sampler) and what
 * it produced so far (its tokens, text, top logits, timings). It holds no scheduling state: where its
 * prefill stands and which KV blocks it holds belong to the {@link Scheduler}. Touched by the engine
 * thread only, except {@link #cancel()}.
 */
final class Request implements GenerationHandle, Sampler.TokenHistory {
  private final int[] promptIds;
  private final GenerationConfig config;
  private final Set<Integer> stopIds;
  private final long id;
  private final Sampler sampler;
  private final SamplingMode samplingMode;
  private final @Nullable DeviceDraws deviceDraws;
  private final @Nullable TokenTextDecoder decoder;
  private final StopStringMatcher stopStrings;
  private final @Nullable GrammarMatcher grammar;
  private final RequestDelivery delivery;
  private final GenerationFuture result;
  private final long submittedNanos = System.nanoTime();
  private final long timeoutNanos;
  private final int[] tokens;
  private final List<TopLogits> topLogits = new ArrayList<>();
  private final List<TokenLogprobs> logprobs = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private volatile boolean cancelRequested;
  private int length;
  private int generated;
  private long firstTokenNanos;

  /**
   * @param id the request's id, unique in its engine
   * @param sampler chooses tokens from logits (in {@link SamplingMode#HOST_LOGITS})
   * @param samplingMode how its tokens are chosen (see {@link SamplingMode#of})
   * @param grammar its place in the constraint of its response format, or {@code null} for free text
   * @param maxPositions the model's context length
   * @param listener receives each token, on a thread of {@code deliveryExecutor}
   * @param deliveryExecutor runs listeners and completes the future, never on the engine thread
   */
  Request(
      long id,
      int[] promptIds,
      GenerationConfig config,
      Set<Integer> stopIds,
      Sampler sampler,
      SamplingMode samplingMode,
      @Nullable GrammarMatcher grammar,
      @Nullable TokenTextDecoder decoder,
      int maxPositions,
      Consumer<TokenEvent> listener,
      Executor deliveryExecutor) {
    this.id = id;
    this.samplingMode = samplingMode;
    this.grammar = grammar;
    this.deviceDraws = samplingMode == SamplingMode.DEVICE_DRAW ? new DeviceDraws(config) : null;
    this.promptIds = promptIds.clone();
    this.config = config;
    this.stopIds = Set.copyOf(stopIds);
    this.sampler = sampler;
    this.decoder = decoder;
    this.stopStrings = new StopStringMatcher(config.stopStrings(), config.includeStopString());
    this.timeoutNanos = saturatedNanos(config.timeout());
    this.tokens = Arrays.copyOf(promptIds, (int) Math.min(maxPositions, (long) promptIds.length + config.maxNewTokens()));
    this.length = promptIds.length;
    this.result = new GenerationFuture(this::cancel);
    this.delivery = new RequestDelivery(listener, result, deliveryExecutor, this::cancel);
  }

  /** A duration in nanoseconds, saturating at {@link Long#MAX_VALUE} (no timeout) instead of overflowing. */
  static long saturatedNanos(@Nullable Duration timeout) {
    if (timeout == null) {
      return Long.MAX_VALUE;
    }
    try {
      return timeout.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  public CompletableFuture<Generation> result() {
    return result;
  }

  @Override
  public void cancel() {
    cancelRequested = true;
  }

  /** Why the request must end before its next step (cancelled, timed out), or {@code null}. */
  @Nullable FinishReason endRequested(long nowNanos) {
    if (cancelRequested) {
      return FinishReason.CANCELLED;
    }
    return nowNanos - submittedNanos > timeoutNanos ? FinishReason.TIMEOUT : null;
  }

  int promptLength() {
    return promptIds.length;
  }

  /** The most positions this request will ever hold in the cache: prompt plus new tokens, within the context. */
  int maxPositions() {
    return tokens.length;
  }

  /** The tokens so far, the prompt then the generated ones, valid up to {@link #size()}. Do not modify. */
  int[] tokenArray() {
    return tokens;
  }

  /** The tokens so far as a new array. */
  int[] tokens() {
    return Arrays.copyOf(tokens, length);
  }

  /** Tokens {@code [from, from + count)}. */
  int[] tokens(int from, int count) {
    return Arrays.copyOfRange(tokens, from, from + count);
  }

  @Override
  public int size() {
    return length;
  }

  @Override
  public int get(int i) {
    return tokens[i];
  }

  GenerationConfig config() {
    return config;
  }

  /** The ids that end it (its stop ids and, unless it ignores them, the model's end-of-sequence ids). */
  Set<Integer> stopIds() {
    return stopIds;
  }

  /** The request's id, unique in its engine. */
  long id() {
    return id;
  }

  /** How this request's tokens are chosen, decided when it was submitted. */
  SamplingMode samplingMode() {
    return samplingMode;
  }

  /** The draw of this request's next token on the device. */
  SamplingRow nextDraw() {
    if (deviceDraws == null) {
      throw new IllegalStateException("this request is sampled on the host");
    }
    return deviceDraws.next();
  }

  Sampler sampler() {
    return sampler;
  }

  /** The request's place in its response format's constraint, or {@code null} when its text is free. */
  @Nullable GrammarMatcher grammar() {
    return grammar;
  }

  int generated() {
    return generated;
  }

  /** Records the top logits of a step when the config asks for them. */
  void recordTopLogits(float[] logits) {
    if (config.topLogits() > 0) {
      topLogits.add(TopLogits.of(logits, config.topLogits()));
    }
  }

  /** Records the log probabilities of the token about to be accepted, from its step's logits. */
  void recordLogprobs(float[] stepLogits, int token) {
    if (config.logprobs() >= 0) {
      logprobs.add(TokenLogprobs.of(stepLogits, token, config.logprobs()));
    }
  }

  /** Records top logits the device brought back with its token. */
  void recordTopLogits(TopLogits top) {
    topLogits.add(top);
  }

  /**
   * Appends the chosen token, hands its text to the delivery, and returns why the request ends, or
   * {@code null} when it goes on.
   */
  @Nullable FinishReason accept(int token) {
    if (generated == 0) {
      firstTokenNanos = System.nanoTime();
    }
    tokens[length++] = token;
    generated++;
    // Before minNewTokens, neither a stop id (a custom sampler may still choose one) nor a stop string ends it.
    boolean early = generated <= config.minNewTokens() - 1;
    boolean stopToken = !early && stopIds.contains(token);
    String piece = decoder != null && !stopToken ? decoder.push(token) : "";
    String visible = early ? stopStrings.pass(piece) : stopStrings.accept(piece);
    FinishReason reason = finishReason(stopToken);
    if (reason != null && reason != FinishReason.STOP_STRING) {
      visible += releaseHeldText();
    }
    text.append(visible);
    delivery.token(new TokenEvent(generated - 1, token, visible,
        config.logprobs() >= 0 && logprobs.size() == generated ? logprobs.getLast() : null));
    return reason;
  }

  private @Nullable FinishReason finishReason(boolean stopToken) {
    if (stopToken) {
      return FinishReason.STOP_TOKEN;
    }
    if (stopStrings.stopped()) {
      return FinishReason.STOP_STRING;
    }
    if (generated >= config.maxNewTokens() || length >= tokens.length) {
      return FinishReason.LENGTH;
    }
    return null;
  }

  /** Text held back for a possible stop string or an unfinished character, released at the end. */
  private String releaseHeldText() {
    String tail = decoder != null ? stopStrings.accept(decoder.finish()) : "";
    return tail + stopStrings.finish();
  }

  /**
   * Completes the request. A request ended from outside (cancelled, timed out) keeps the text it had
   * held back in its result; streaming listeners have seen every token already.
   */
  void finish(FinishReason reason, long memoryAfterLoad, long peakMemory, int cachedPromptTokens) {
    if (reason == FinishReason.CANCELLED || reason == FinishReason.TIMEOUT) {
      text.append(releaseHeldText());
    }
    long now = System.nanoTime();
    GenerationStats stats =
        new GenerationStats(
            promptIds.length,
            generated,
            Duration.ofNanos(generated > 0 ? firstTokenNanos - submittedNanos : now - submittedNanos),
            Duration.ofNanos(now - submittedNanos),
            memoryAfterLoad,
            peakMemory,
            cachedPromptTokens);
    List<Integer> ids = new ArrayList<>(generated);
    for (int i = promptIds.length; i < length; i++) {
      ids.add(tokens[i]);
    }
    List<Integer> prompt = Arrays.stream(promptIds).boxed().toList();
    delivery.complete(new Generation(text.toString(), prompt, ids, reason, stats, topLogits, logprobs));
  }

  /** Fails the request with {@code error}, after the tokens already delivered. */
  void fail(Throwable error) {
    delivery.fail(error);
  }
}
