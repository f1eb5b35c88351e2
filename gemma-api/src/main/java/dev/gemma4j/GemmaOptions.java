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
 * How {@link Gemma#open(String, GemmaOptions)} finds, loads and runs a model. Immutable; build with
 * {@link #builder()}.
 *
 * @param backend a backend name ({@code cpu}, {@code npu}, {@code npu:1}) or {@code null} to pick the
 *     best available one (see {@link dev.gemma4j.spi.Backends})
 * @param deviceIndex which device of the backend ({@code npu:1} is index 1); -1 takes it from the
 *     backend name, else 0
 * @param precision activation precision, or {@code null} for the backend's default (float32 math on the CPU,
 *     bfloat16 activations with float32 norms and softmax on the NPU, as deployments run)
 * @param threads compute threads for the CPU; 0 uses every core
 * @param revision the hub revision (branch, tag or commit) to resolve
 * @param cacheDir the Hugging Face cache folder, or {@code null} for {@code HF_HUB_CACHE}, then
 *     {@code HF_HOME/hub}, then {@code ~/.cache/huggingface/hub}
 * @param offline never touch the network (also set by {@code HF_HUB_OFFLINE=1})
 * @param engine KV-cache and batching sizes
 * @param endpoints OpenAI-compatible servers ({@code http://host:8000/v1}) that serve the model; when there
 *     are any, {@link Gemma#open(String, GemmaOptions)} opens a remote engine over them instead of loading
 *     the model here, balancing requests to the server with the fewest in flight
 * @param apiKey the bearer token the servers require, or {@code null}; never printed
 * @param remote timeouts, retries and ejection of the remote engine
 * @param quantize whether the linear layers of a float checkpoint are quantized while loading
 */
public record GemmaOptions(
    @Nullable String backend,
    int deviceIndex,
    @Nullable Precision precision,
    int threads,
    String revision,
    @Nullable Path cacheDir,
    boolean offline,
    EngineOptions engine,
    List<URI> endpoints,
    @Nullable String apiKey,
    RemoteOptions remote,
    WeightQuantization quantize) {

  /** The device index to open: the explicit one, else the one in the backend name, else 0. */
  public int resolvedDeviceIndex() {
    return deviceIndex >= 0 ? deviceIndex : Backends.deviceIndex(backend);
  }

  /** Checks the fields. */
  public GemmaOptions {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(quantize, "quantize");
    endpoints = List.copyOf(endpoints);
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
      return new GemmaOptions(
          backend, deviceIndex, precision, threads, revision, cacheDir, offline, engine, endpoints, apiKey, remote,
          quantize);
    }
  }
}
