package dev.gemma4j.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.TopLogits;
import dev.gemma4j.spi.Generator;
import dev.gemma4j.spi.Sampler;
import dev.gemma4j.tokenizer.TokenTextDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One request inside the engine: its tokens, where its prefill stands, its KV-cache blocks, its sampler
 * and stop conditions. Touched only by the engine thread, except {@link #cancel()}.
 */
final class Sequence implements Generator.Handle, Sampler.TokenHistory {
  final int[] promptIds;
  final GenerationConfig config;
  private final Sampler sampler;
  private final Set<Integer> stopIds;
  private final Consumer<TokenEvent> listener;
  private final @Nullable TokenTextDecoder decoder;
  private final StopStringMatcher stopStrings;
  private final CompletableFuture<Generation> result = new CompletableFuture<>();
  private final long submittedNanos = System.nanoTime();
  private final int[] tokens;
  private final List<TopLogits> topLogits = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private volatile boolean cancelRequested;
  private int length;
  private int generated;
  private long firstTokenNanos;
  /** This sequence's KV-cache block tables. */
  final SequenceBlocks blocks = new SequenceBlocks();
  /** Positions whose keys and values are in the cache. */
  int cachedPositions;
  /** Whether it was admitted before (a preempted sequence is recomputed, not counted again). */
  boolean admittedBefore;
  /** Prompt positions served from the prefix cache at the first admission. */
  int cachedPromptTokens;

  Sequence(
      int[] promptIds,
      GenerationConfig config,
      Sampler sampler,
      Set<Integer> stopIds,
      Consumer<TokenEvent> listener,
      @Nullable TokenTextDecoder decoder,
      int maxPositions) {
    this.promptIds = promptIds.clone();
    this.config = config;
    this.sampler = sampler;
    this.stopIds = stopIds;
    this.listener = listener;
    this.decoder = decoder;
    this.stopStrings = new StopStringMatcher(config.stopStrings());
    this.tokens = Arrays.copyOf(promptIds, Math.min(maxPositions, promptIds.length + config.maxNewTokens()));
    this.length = promptIds.length;
  }

  @Override
  public CompletableFuture<Generation> result() {
    return result;
  }

  @Override
  public void cancel() {
    cancelRequested = true;
  }

  boolean cancelRequested() {
    return cancelRequested;
  }

  boolean timedOut(long nowNanos) {
    Duration timeout = config.timeout();
    return timeout != null && nowNanos - submittedNanos > timeout.toNanos();
  }

  /** Tokens that must be in the cache before the next sampling: the prompt, then each new token. */
  int pendingTokens() {
    return length - cachedPositions;
  }

  /** Tokens {@code [cachedPositions, cachedPositions + count)}. */
  int[] nextChunk(int count) {
    return Arrays.copyOfRange(tokens, cachedPositions, cachedPositions + count);
  }

  /** The most positions this sequence will ever hold in the cache. */
  int maxCachedPositions() {
    return tokens.length;
  }

  /** The tokens so far: the prompt, then the generated ones. Do not modify. */
  int[] tokens() {
    return length == tokens.length ? tokens : Arrays.copyOf(tokens, length);
  }

  /** The token array itself, valid up to {@link #size()}. */
  int[] tokenArray() {
    return tokens;
  }

  @Override
  public int size() {
    return length;
  }

  @Override
  public int get(int i) {
    return tokens[i];
  }

  /**
   * Chooses the next token from the logits of the last cached position, delivers it, and returns why the
   * sequence ends, or {@code null} when it goes on.
   */
  @Nullable FinishReason accept(float[] logits) {
    if (config.topLogits() > 0) {
      topLogits.add(TopLogits.of(logits, config.topLogits()));
    }
    return accept(sampler.sample(logits, this));
  }

  /**
   * Whether plain argmax of the logits is this sequence's choice (greedy, no penalty, no logits to
   * record), so the device may choose and send back only the id.
   */
  boolean choosesArgmax() {
    return !config.sample() && config.repetitionPenalty() == 1.0 && config.topLogits() == 0;
  }

  /** Delivers a token chosen by the device's argmax; see {@link #choosesArgmax()}. */
  @Nullable FinishReason accept(int token) {
    if (generated == 0) {
      firstTokenNanos = System.nanoTime();
    }
    tokens[length++] = token;
    generated++;
    boolean stopToken = stopIds.contains(token);
    String piece = decoder != null && !stopToken ? decoder.push(token) : "";
    String visible = stopStrings.accept(piece);
    FinishReason reason = finishReason(stopToken);
    if (reason != null && reason != FinishReason.STOP_STRING) {
      visible += releaseHeldText();
    }
    text.append(visible);
    listener.accept(new TokenEvent(generated - 1, token, visible));
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
  void finish(FinishReason reason, long memoryAfterLoad, long peakMemory) {
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
            this.cachedPromptTokens);
    List<Integer> ids = new ArrayList<>(generated);
    for (int i = promptIds.length; i < length; i++) {
      ids.add(tokens[i]);
    }
    List<Integer> prompt = Arrays.stream(promptIds).boxed().toList();
    result.complete(new Generation(text.toString(), prompt, ids, reason, stats, topLogits));
  }

  void fail(Throwable error) {
    result.completeExceptionally(error);
  }
}
