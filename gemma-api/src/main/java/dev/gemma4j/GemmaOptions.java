package dev.gemma4j;

import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.engine.RemoteOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import dev.gemma4j.spi.Backends;
import dev.gemma4j.spi.Precision;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How {@link Gemma#open(String, GemmaOptions)} finds, loads and runs a model. Immutable (a class, so it can gain options without breaking callers); build with
 * {@link #builder()}.
 */
public final class GemmaOptions {
  private final @Nullable String backend;
  private final int deviceIndex;
  private final @Nullable Precision precision;
  private final int threads;
  private final String revision;
  private final @Nullable Path cacheDir;
  private final boolean offline;
  private final EngineOptions engine;
  private final List<URI> endpoints;
  private final @Nullable String apiKey;
  private final RemoteOptions remote;
  private final WeightQuantization quantize;

  private GemmaOptions(Builder b) {
    this.backend = b.backend;
    this.deviceIndex = b.deviceIndex;
    this.precision = b.precision;
    this.threads = b.threads;
    this.revision = b.revision;
    this.cacheDir = b.cacheDir;
    this.offline = b.offline;
    this.engine = b.engine;
    this.endpoints = List.copyOf(b.endpoints);
    this.apiKey = b.apiKey;
    this.remote = b.remote;
    this.quantize = b.quantize;
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(quantize, "quantize");
    endpoints.forEach(GemmaOptions::checkEndpoint);
    if (apiKey != null && (apiKey.isBlank() || apiKey.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
      throw new IllegalArgumentException("apiKey must be non-blank printable text");
    }
    if (deviceIndex < -1) {
      throw new IllegalArgumentException("deviceIndex must be -1 (from the backend name) or a device number: " + deviceIndex);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must not be negative: " + threads);
    }
    if (!REVISION.matcher(revision).matches() || revision.contains("..") || revision.length() > 200) {
      throw new IllegalArgumentException(
          "revision \"" + revision + "\" is not a branch, tag or commit name (letters, digits, '.', '_', '-' and"
              + " '/' between names); a revision is never a path");
    }
  }

  /** The device index to open: the explicit one, else the one in the backend name, else 0. */
  public int resolvedDeviceIndex() {
    return deviceIndex >= 0 ? deviceIndex : Backends.deviceIndex(backend);
  }

  /**
   * A backend name ({@code cpu}, {@code npu}, {@code npu:1}) or {@code null} to pick the best available one (see
   * {@link dev.gemma4j.spi.Backends}).
   */
  public @Nullable String backend() {
    return backend;
  }

  /** Which device of the backend ({@code npu:1} is index 1); -1 takes it from the backend name, else 0. */
  public int deviceIndex() {
    return deviceIndex;
  }

  /**
   * Activation precision, or {@code null} for the backend's default (float32 math on the CPU, bfloat16 activations
   * with float32 norms and softmax on the NPU, as deployments run).
   */
  public @Nullable Precision precision() {
    return precision;
  }

  /** Compute threads for the CPU; 0 uses every core. */
  public int threads() {
    return threads;
  }

  /** The hub revision (branch, tag or commit) to resolve. */
  public String revision() {
    return revision;
  }

  /**
   * The Hugging Face cache folder, or {@code null} for {@code HF_HUB_CACHE}, then {@code HF_HOME/hub}, then {@code
   * ~/.cache/huggingface/hub}.
   */
  public @Nullable Path cacheDir() {
    return cacheDir;
  }

  /** Never touch the network (also set by {@code HF_HUB_OFFLINE=1}). */
  public boolean offline() {
    return offline;
  }

  /** KV-cache and batching sizes. */
  public EngineOptions engine() {
    return engine;
  }

  /**
   * OpenAI-compatible servers ({@code http://host:8000/v1}) that serve the model; when there are any, {@link
   * Gemma#open(String, GemmaOptions)} opens a remote engine over them instead of loading the model here, balancing
   * requests to the server with the fewest in flight.
   */
  public List<URI> endpoints() {
    return endpoints;
  }

  /** The bearer token the servers require, or {@code null}; never printed. */
  public @Nullable String apiKey() {
    return apiKey;
  }

  /** Timeouts, retries and ejection of the remote engine. */
  public RemoteOptions remote() {
    return remote;
  }

  /** Whether the linear layers of a float checkpoint are quantized while loading. */
  public WeightQuantization quantize() {
    return quantize;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GemmaOptions other
        && Objects.equals(backend, other.backend)
        && deviceIndex == other.deviceIndex
        && Objects.equals(precision, other.precision)
        && threads == other.threads
        && Objects.equals(revision, other.revision)
        && Objects.equals(cacheDir, other.cacheDir)
        && offline == other.offline
        && Objects.equals(engine, other.engine)
        && Objects.equals(endpoints, other.endpoints)
        && Objects.equals(apiKey, other.apiKey)
        && Objects.equals(remote, other.remote)
        && Objects.equals(quantize, other.quantize);
  }

  @Override
  public int hashCode() {
    return Objects.hash(backend, deviceIndex, precision, threads, revision, cacheDir, offline, engine, endpoints, apiKey, remote, quantize);
  }


  private static void checkEndpoint(URI endpoint) {
    String scheme = endpoint.getScheme();
    if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || endpoint.getHost() == null
        || endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "endpoint " + endpoint + " is not an OpenAI API base URL such as http://host:8000/v1 (http or https, a host,"
              + " no user info, query or fragment; give the key with apiKey)");
    }
  }

  /** The options without the API key's value. */
  @Override
  public String toString() {
    return "GemmaOptions[backend=" + backend + ", deviceIndex=" + deviceIndex + ", precision=" + (precision == null ? "backend default" : precision)
        + ", threads=" + threads + ", revision=" + revision + ", cacheDir=" + cacheDir + ", offline=" + offline
        + ", engine=" + engine + ", endpoints=" + endpoints + ", apiKey=" + (apiKey == null ? "none" : "(set)")
        + ", remote=" + remote + ", quantize=" + quantize + "]";
  }

  private static final java.util.regex.Pattern REVISION =
      java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*");

  /** Automatic backend, its default precision, revision {@code main}, the standard cache. */
  public static GemmaOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.backend = backend;
    b.deviceIndex = deviceIndex;
    b.precision = precision;
    b.threads = threads;
    b.revision = revision;
    b.cacheDir = cacheDir;
    b.offline = offline;
    b.engine = engine;
    b.endpoints = new ArrayList<>(endpoints);
    b.apiKey = apiKey;
    b.remote = remote;
    b.quantize = quantize;
    return b;
  }

  /** Builds {@link GemmaOptions}. */
  public static final class Builder {
    private @Nullable String backend;
    private int deviceIndex = -1;
    private @Nullable Precision precision;
    private int threads;
    private String revision = "main";
    private @Nullable Path cacheDir;
    private boolean offline;
    private EngineOptions engine = EngineOptions.defaults();
    private List<URI> endpoints = new ArrayList<>();
    private @Nullable String apiKey;
    private RemoteOptions remote = RemoteOptions.defaults();
    private WeightQuantization quantize = WeightQuantization.NONE;

    private Builder() {}

    /** The backend: {@code cpu}, {@code npu}, {@code npu:1}, or {@code null}/{@code auto}. */
    public Builder backend(@Nullable String value) {
      backend = value;
      return this;
    }

    /** The device of the backend, e.g. 1 for the second NPU. */
    public Builder deviceIndex(int value) {
      deviceIndex = value;
      return this;
    }

    /** The activation precision; {@code null} (the default) takes the backend's. */
    public Builder precision(@Nullable Precision value) {
      precision = value;
      return this;
    }

    /** Compute threads for the CPU backend; 0 uses every core. */
    public Builder threads(int value) {
      threads = value;
      return this;
    }

    /** The hub revision: a branch, tag or commit. */
    public Builder revision(String value) {
      revision = value;
      return this;
    }

    /** The Hugging Face cache folder. */
    public Builder cacheDir(@Nullable Path value) {
      cacheDir = value;
      return this;
    }

    /** Never touch the network. */
    public Builder offline(boolean value) {
      offline = value;
      return this;
    }

    /** KV-cache and batching sizes. */
    public Builder engine(EngineOptions value) {
      engine = value;
      return this;
    }

    /**
     * Adds an OpenAI-compatible server that serves the model ({@code http://host:8000/v1}): the model is
     * then used remotely, balanced over every endpoint added.
     */
    public Builder endpoint(URI value) {
      endpoints.add(Objects.requireNonNull(value, "endpoint"));
      return this;
    }

    /** Replaces the servers; an empty list loads the model in this process. */
    public Builder endpoints(List<URI> values) {
      endpoints = new ArrayList<>(values);
      return this;
    }

    /** The bearer token the servers require; {@code null} for none. */
    public Builder apiKey(@Nullable String value) {
      apiKey = value;
      return this;
    }

    /** Timeouts, retries and ejection of the remote engine. */
    public Builder remote(RemoteOptions value) {
      remote = value;
      return this;
    }

    /** Quantize the linear layers of a float checkpoint while loading ({@code --quantize int4}). */
    public Builder quantize(WeightQuantization value) {
      quantize = value;
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException when a value is out of range, naming it
     */
    public GemmaOptions build() {
      return new GemmaOptions(this);
    }
  }
}
