package dev.gemma4j;

import dev.gemma4j.config.GenerationDefaults;
import dev.gemma4j.spi.Sampler;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How to generate: length, greedy or sampled decoding, stop conditions. Immutable (a class, not a record, so it can gain settings without breaking callers); build one with
 * {@link #builder()} or start from a model's defaults with {@link #from(GenerationDefaults)}.
 */
public final class GenerationConfig {

  /** The default length: 256 new tokens. */
  public static final int DEFAULT_MAX_NEW_TOKENS = 256;

  /** The most alternatives {@link #logprobs()} may ask for (OpenAI's limit). */
  public static final int MAX_LOGPROBS = 20;

  /** The smallest repetition penalty; smaller ones turn a repeated logit into an infinity. */
  public static final double MIN_REPETITION_PENALTY = 0.01;
  /** The largest repetition penalty. */
  public static final double MAX_REPETITION_PENALTY = 100;

  private final int maxNewTokens;
  private final boolean sample;
  private final double temperature;
  private final int topK;
  private final double topP;
  private final double minP;
  private final double repetitionPenalty;
  private final @Nullable Long seed;
  private final List<String> stopStrings;
  private final Set<Integer> stopTokenIds;
  private final boolean ignoreEos;
  private final int topLogits;
  private final @Nullable Duration timeout;
  private final @Nullable Sampler sampler;
  private final int minNewTokens;
  private final boolean includeStopString;
  private final int logprobs;
  private final ResponseFormat responseFormat;

  private GenerationConfig(Builder b) {
    this.maxNewTokens = b.maxNewTokens;
    this.sample = b.sample;
    this.temperature = b.temperature;
    this.topK = b.topK;
    this.topP = b.topP;
    this.minP = b.minP;
    this.repetitionPenalty = b.repetitionPenalty;
    this.seed = b.seed;
    this.stopStrings = List.copyOf(b.stopStrings);
    this.stopTokenIds = Set.copyOf(b.stopTokenIds);
    this.ignoreEos = b.ignoreEos;
    this.topLogits = b.topLogits;
    this.timeout = b.timeout;
    this.sampler = b.sampler;
    this.minNewTokens = b.minNewTokens;
    this.includeStopString = b.includeStopString;
    this.logprobs = b.logprobs;
    this.responseFormat = b.responseFormat;
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

  /** The most tokens to generate. */
  public int maxNewTokens() {
    return maxNewTokens;
  }

  /** Sample from the distribution rather than take the most likely token. */
  public boolean sample() {
    return sample;
  }

  /**
   * Divides the logits before sampling; positive and finite (temperatures so small that the division overflows
   * choose the most likely token, as greedy decoding does).
   */
  public double temperature() {
    return temperature;
  }

  /** Keep only the {@code topK} most likely tokens when sampling; 0 keeps all. */
  public int topK() {
    return topK;
  }

  /** Keep the smallest set of most likely tokens whose probability reaches {@code topP}. */
  public double topP() {
    return topP;
  }

  /** Drop tokens less likely than {@code minP} times the most likely one; 0 keeps all. */
  public double minP() {
    return minP;
  }

  /**
   * Divides positive (multiplies negative) logits of tokens already present, in [{@value #MIN_REPETITION_PENALTY},
   * {@value #MAX_REPETITION_PENALTY}]; 1 is none.
   */
  public double repetitionPenalty() {
    return repetitionPenalty;
  }

  /** The random seed of sampling; the same seed gives the same tokens. */
  public @Nullable Long seed() {
    return seed;
  }

  /** Generation ends when the text contains one; the text ends before it. */
  public List<String> stopStrings() {
    return stopStrings;
  }

  /** Generation ends after one of these tokens, besides the model's end-of-sequence ids. */
  public Set<Integer> stopTokenIds() {
    return stopTokenIds;
  }

  /** Do not stop at the model's end-of-sequence ids (benchmarks use it for fixed lengths). */
  public boolean ignoreEos() {
    return ignoreEos;
  }

  /** Record the {@code topLogits} highest logits of each step; 0 records none. */
  public int topLogits() {
    return topLogits;
  }

  /**
   * End the request with {@link FinishReason#TIMEOUT} after this long, or {@code null}; durations too long to
   * count in nanoseconds mean no timeout.
   */
  public @Nullable Duration timeout() {
    return timeout;
  }

  /**
   * Chooses every token instead of the built-in greedy or sampled decoding, or {@code null}; see {@link
   * Builder#sampler(Sampler)}.
   */
  public @Nullable Sampler sampler() {
    return sampler;
  }

  /**
   * The fewest tokens to generate: until then the end-of-sequence and stop ids cannot be chosen and stop strings
   * do not end the text (vLLM's {@code min_tokens}); 0 (the default) for none.
   */
  public int minNewTokens() {
    return minNewTokens;
  }

  /**
   * The text ends with the stop string that ended it instead of before it (vLLM's {@code
   * include_stop_str_in_output}).
   */
  public boolean includeStopString() {
    return includeStopString;
  }

  /**
   * Record each generated token's log probability and the {@code logprobs} most likely tokens of its step (0 to
   * {@value #MAX_LOGPROBS}); -1 (the default) records none.
   */
  public int logprobs() {
    return logprobs;
  }

  /**
   * The shape the output must have (JSON Schema, JSON, regex, choice, tool calls), applied as a token mask at each
   * step; {@link ResponseFormat#text()} for free text.
   */
  public ResponseFormat responseFormat() {
    return responseFormat;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GenerationConfig other
        && maxNewTokens == other.maxNewTokens
        && sample == other.sample
        && Double.compare(temperature, other.temperature) == 0
        && topK == other.topK
        && Double.compare(topP, other.topP) == 0
        && Double.compare(minP, other.minP) == 0
        && Double.compare(repetitionPenalty, other.repetitionPenalty) == 0
        && java.util.Objects.equals(seed, other.seed)
        && java.util.Objects.equals(stopStrings, other.stopStrings)
        && java.util.Objects.equals(stopTokenIds, other.stopTokenIds)
        && ignoreEos == other.ignoreEos
        && topLogits == other.topLogits
        && java.util.Objects.equals(timeout, other.timeout)
        && java.util.Objects.equals(sampler, other.sampler)
        && minNewTokens == other.minNewTokens
        && includeStopString == other.includeStopString
        && logprobs == other.logprobs
        && java.util.Objects.equals(responseFormat, other.responseFormat);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(maxNewTokens, sample, temperature, topK, topP, minP, repetitionPenalty, seed, stopStrings, stopTokenIds, ignoreEos, topLogits, timeout, sampler, minNewTokens, includeStopString, logprobs, responseFormat);
  }

  @Override
  public String toString() {
    return "GenerationConfig[" + "maxNewTokens=" + maxNewTokens + ", " + "sample=" + sample + ", " + "temperature=" + temperature + ", " + "topK=" + topK + ", " + "topP=" + topP + ", " + "minP=" + minP + ", " + "repetitionPenalty=" + repetitionPenalty + ", " + "seed=" + seed + ", " + "stopStrings=" + stopStrings + ", " + "stopTokenIds=" + stopTokenIds + ", " + "ignoreEos=" + ignoreEos + ", " + "topLogits=" + topLogits + ", " + "timeout=" + timeout + ", " + "sampler=" + sampler + ", " + "minNewTokens=" + minNewTokens + ", " + "includeStopString=" + includeStopString + ", " + "logprobs=" + logprobs + ", " + "responseFormat=" + responseFormat + "]";
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
      return new GenerationConfig(this);
    }
  }
}
