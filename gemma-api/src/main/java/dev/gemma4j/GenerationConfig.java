package dev.gemma4j;

import dev.gemma4j.config.GenerationDefaults;
import dev.gemma4j.spi.Sampler;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How to generate: length, greedy or sampled decoding, stop conditions. Immutable; build one with
 * {@link #builder()} or start from a model's defaults with {@link #from(GenerationDefaults)}.
 *
 * @param maxNewTokens the most tokens to generate
 * @param sample sample from the distribution rather than take the most likely token
 * @param temperature divides the logits before sampling; positive and finite (temperatures so small that
 *     the division overflows choose the most likely token, as greedy decoding does)
 * @param topK keep only the {@code topK} most likely tokens when sampling; 0 keeps all
 * @param topP keep the smallest set of most likely tokens whose probability reaches {@code topP}
 * @param minP drop tokens less likely than {@code minP} times the most likely one; 0 keeps all
 * @param repetitionPenalty divides positive (multiplies negative) logits of tokens already present, in
 *     [{@value #MIN_REPETITION_PENALTY}, {@value #MAX_REPETITION_PENALTY}]; 1 is none
 * @param seed the random seed of sampling; the same seed gives the same tokens
 * @param stopStrings generation ends when the text contains one; the text ends before it
 * @param stopTokenIds generation ends after one of these tokens, besides the model's end-of-sequence ids
 * @param ignoreEos do not stop at the model's end-of-sequence ids (benchmarks use it for fixed lengths)
 * @param topLogits record the {@code topLogits} highest logits of each step; 0 records none
 * @param timeout end the request with {@link FinishReason#TIMEOUT} after this long, or {@code null};
 *     durations too long to count in nanoseconds mean no timeout
 * @param minNewTokens the fewest tokens to generate: until then the end-of-sequence and stop ids cannot be
 *     chosen and stop strings do not end the text (vLLM's {@code min_tokens}); 0 (the default) for none
 * @param includeStopString the text ends with the stop string that ended it instead of before it (vLLM's
 *     {@code include_stop_str_in_output})
 * @param sampler chooses every token instead of the built-in greedy or sampled decoding, or {@code null};
 *     see {@link Builder#sampler(Sampler)}
 * @param logprobs record each generated token's log probability and the {@code logprobs} most likely tokens of
 *     its step (0 to {@value #MAX_LOGPROBS}); -1 (the default) records none
 * @param responseFormat the shape the output must have (JSON Schema, JSON, regex, choice, tool calls), applied
 *     as a token mask at each step; {@link ResponseFormat#text()} for free text
 */
public record GenerationConfig(
    int maxNewTokens,
    boolean sample,
    double temperature,
    int topK,
    double topP,
    double minP,
    double repetitionPenalty,
    @Nullable Long seed,
    List<String> stopStrings,
    Set<Integer> stopTokenIds,
    boolean ignoreEos,
    int topLogits,
    @Nullable Duration timeout,
    @Nullable Sampler sampler,
    int minNewTokens,
    boolean includeStopString,
    int logprobs,
    ResponseFormat responseFormat) {

  /** The default length: 256 new tokens. */
  public static final int DEFAULT_MAX_NEW_TOKENS = 256;

  /** The most alternatives {@link #logprobs()} may ask for (OpenAI's limit). */
  public static final int MAX_LOGPROBS = 20;

  /** The smallest repetition penalty; smaller ones turn a repeated logit into an infinity. */
  public static final double MIN_REPETITION_PENALTY = 0.01;
  /** The largest repetition penalty. */
  public static final double MAX_REPETITION_PENALTY = 100;

  /** Validates every field; the message names the field and its valid range. */
  public GenerationConfig {
    stopStrings = List.copyOf(stopStrings);
    stopTokenIds = Set.copyOf(stopTokenIds);
    require(maxNewTokens >= 1, "maxNewTokens must be at least 1, was " + maxNewTokens);
    require(temperature > 0 && Double.isFinite(temperature), "temperature must be positive, was " + temperature);
    require(topK >= 0, "topK must be 0 (off) or positive, was " + topK);
    require(topP > 0 && topP <= 1, "topP must be in (0, 1], was " + topP);
    require(minP >= 0 && minP < 1, "minP must be in [0, 1), was " + minP);
    require(repetitionPenalty >= MIN_REPETITION_PENALTY && repetitionPenalty <= MAX_REPETITION_PENALTY,
        "repetitionPenalty must be in [" + MIN_REPETITION_PENALTY + ", " + MAX_REPETITION_PENALTY + "] (1 is none), was "
            + repetitionPenalty);
    require(topLogits >= 0, "topLogits must not be negative, was " + topLogits);
    require(stopStrings.stream().noneMatch(String::isEmpty), "stop strings must not be empty");
    require(timeout == null || !timeout.isNegative() && !timeout.isZero(), "timeout must be positive");
    java.util.Objects.requireNonNull(responseFormat, "responseFormat");
    require(logprobs >= -1 && logprobs <= MAX_LOGPROBS,
        "logprobs must be -1 (none) or from 0 to " + MAX_LOGPROBS + ", was " + logprobs);
    require(!(ignoreEos && responseFormat.constrains()),
        "ignoreEos cannot be combined with a response format: a constrained output ends with an end-of-sequence"
            + " token once the format is complete");
    require(minNewTokens >= 0 && minNewTokens <= maxNewTokens,
        "minNewTokens must be from 0 to maxNewTokens (" + maxNewTokens + "), was " + minNewTokens);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Greedy decoding of up to {@value #DEFAULT_MAX_NEW_TOKENS} tokens. */
  public static GenerationConfig defaults() {
    return builder().build();
  }

  /** A builder starting from greedy decoding of up to {@value #DEFAULT_MAX_NEW_TOKENS} tokens. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from what a checkpoint's {@code generation_config.json} declares. */
  public static Builder from(GenerationDefaults defaults) {
    Builder b = new Builder();
    b.sample = defaults.doSample();
    if (defaults.temperature() != null) {
      b.temperature = defaults.temperature();
    }
    if (defaults.topK() != null) {
      b.topK = defaults.topK();
    }
    if (defaults.topP() != null) {
      b.topP = defaults.topP();
    }
    return b;
  }

  /** A builder holding this configuration's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxNewTokens = maxNewTokens;
    b.sample = sample;
    b.temperature = temperature;
    b.topK = topK;
    b.topP = topP;
    b.minP = minP;
    b.repetitionPenalty = repetitionPenalty;
    b.seed = seed;
    b.stopStrings = List.copyOf(stopStrings);
    b.stopTokenIds = new LinkedHashSet<>(stopTokenIds);
    b.minNewTokens = minNewTokens;
    b.includeStopString = includeStopString;
    b.ignoreEos = ignoreEos;
    b.topLogits = topLogits;
    b.timeout = timeout;
    b.sampler = sampler;
    b.responseFormat = responseFormat;
    b.logprobs = logprobs;
    return b;
  }

  /** Builds a {@link GenerationConfig}. Setting a sampling parameter turns sampling on. */
  public static final class Builder {
    private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
    private boolean sample;
    private double temperature = 1.0;
    private int topK;
    private double topP = 1.0;
    private double minP;
    private double repetitionPenalty = 1.0;
    private @Nullable Long seed;
    private List<String> stopStrings = List.of();
    private Set<Integer> stopTokenIds = new LinkedHashSet<>();
    private int minNewTokens;
    private boolean includeStopString;
    private boolean ignoreEos;
    private int topLogits;
    private @Nullable Duration timeout;
    private @Nullable Sampler sampler;
    private ResponseFormat responseFormat = ResponseFormat.text();
    private int logprobs = -1;

    private Builder() {}

    /** The most tokens to generate. */
    public Builder maxNewTokens(int value) {
      maxNewTokens = value;
      return this;
    }

    /** Greedy decoding: always the most likely token. */
    public Builder greedy() {
      sample = false;
      return this;
    }

    /** Sampling on or off. */
    public Builder sample(boolean value) {
      sample = value;
      return this;
    }

    /** Sampling temperature; turns sampling on. */
    public Builder temperature(double value) {
      temperature = value;
      sample = true;
      return this;
    }

    /** Top-k filtering; turns sampling on. */
    public Builder topK(int value) {
      topK = value;
      sample = true;
      return this;
    }

    /** Top-p (nucleus) filtering; turns sampling on. */
    public Builder topP(double value) {
      topP = value;
      sample = true;
      return this;
    }

    /** Min-p filtering; turns sampling on. */
    public Builder minP(double value) {
      minP = value;
      sample = true;
      return this;
    }

    /** Repetition penalty (1 is none); applies to greedy decoding too. */
    public Builder repetitionPenalty(double value) {
      repetitionPenalty = value;
      return this;
    }

    /** The random seed of sampling. */
    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /** Strings that end generation. */
    public Builder stopStrings(List<String> values) {
      stopStrings = List.copyOf(values);
      return this;
    }

    /** Token ids that end generation, besides the model's end-of-sequence ids. */
    public Builder stopTokenIds(Set<Integer> values) {
      stopTokenIds = new LinkedHashSet<>(values);
      return this;
    }

    /** See {@link GenerationConfig#minNewTokens()}. */
    public Builder minNewTokens(int value) {
      minNewTokens = value;
      return this;
    }

    /** See {@link GenerationConfig#includeStopString()}. */
    public Builder includeStopString(boolean value) {
      includeStopString = value;
      return this;
    }

    /** Keep generating past the model's end-of-sequence ids. */
    public Builder ignoreEos(boolean value) {
      ignoreEos = value;
      return this;
    }

    /** Record the {@code k} highest logits of every step. */
    public Builder topLogits(int k) {
      topLogits = k;
      return this;
    }

    /** End the request after this long; {@code null} for no timeout. */
    public Builder timeout(@Nullable Duration value) {
      timeout = value;
      return this;
    }

    /**
     * A sampler of your own that chooses every token of requests made with this config, in place of the
     * built-in decoding (the sampling parameters are then ignored). It receives each step's logits
     * (after final soft-capping) and the tokens so far, on the engine thread, one call at a time per
     * request: keep it fast, and make it thread-safe if concurrent requests share it. If it throws or
     * returns an id outside the vocabulary, its request fails and no other.
     */
    public Builder sampler(@Nullable Sampler value) {
      sampler = value;
      return this;
    }

    /** See {@link GenerationConfig#logprobs()}: -1 for none, else how many alternatives per token. */
    public Builder logprobs(int value) {
      logprobs = value;
      return this;
    }

    /**
     * The shape the output must have: free text (the default), any JSON object, JSON a schema accepts, text
     * a regular expression matches, one of several strings, or tool calls. The constraint is compiled when the
     * request is submitted (an unsupported schema keyword fails it there, naming the keyword) and applied as a
     * token mask at each step, so the output matches it whenever the model ends it.
     */
    public Builder responseFormat(ResponseFormat value) {
      responseFormat = java.util.Objects.requireNonNull(value, "responseFormat");
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalArgumentException when a value is out of range, naming it
     */
    public GenerationConfig build() {
      return new GenerationConfig(
          maxNewTokens,
          sample,
          temperature,
          topK,
          topP,
          minP,
          repetitionPenalty,
          seed,
          stopStrings,
          stopTokenIds,
          ignoreEos,
          topLogits,
          timeout,
          sampler,
          minNewTokens,
          includeStopString,
          logprobs,
          responseFormat);
    }
  }
}
