package dev.gemma4j;

import dev.gemma4j.engine.EngineOptions;
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
 * @param precision activation precision
 * @param threads compute threads for the CPU; 0 uses every core
 * @param revision the hub revision (branch, tag or commit) to resolve
 * @param cacheDir the Hugging Face cache folder, or {@code null} for {@code HF_HUB_CACHE}, then
 *     {@code HF_HOME/hub}, then {@code ~/.cache/huggingface/hub}
 * @param offline never touch the network (also set by {@code HF_HUB_OFFLINE=1})
 * @param engine KV-cache and batching sizes
 */
public record GemmaOptions(
    @Nullable String backend,
    int deviceIndex,
    Precision precision,
    int threads,
    String revision,
    @Nullable Path cacheDir,
    boolean offline,
    EngineOptions engine) {

  /** The device index to open: the explicit one, else the one in the backend name, else 0. */
  public int resolvedDeviceIndex() {
    return deviceIndex >= 0 ? deviceIndex : Backends.deviceIndex(backend);
  }

  /** Checks the fields. */
  public GemmaOptions {
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(engine, "engine");
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

  private static final java.util.regex.Pattern REVISION =
      java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*");

  /** Automatic backend, float32 math, revision {@code main}, the standard cache. */
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
    return b;
  }

  /** Builds {@link GemmaOptions}. */
  public static final class Builder {
    private @Nullable String backend;
    private int deviceIndex = -1;
    private Precision precision = Precision.FLOAT32;
    private int threads;
    private String revision = "main";
    private @Nullable Path cacheDir;
    private boolean offline;
    private EngineOptions engine = EngineOptions.defaults();

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

    /** The activation precision. */
    public Builder precision(Precision value) {
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

    /** Builds the options. */
    public GemmaOptions build() {
      return new GemmaOptions(backend, deviceIndex, precision, threads, revision, cacheDir, offline, engine);
    }
  }
}
