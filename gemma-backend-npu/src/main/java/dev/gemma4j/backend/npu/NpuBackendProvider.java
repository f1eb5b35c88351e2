package dev.gemma4j.backend.npu;

import dev.gemma4j.GemmaException;
import dev.gemma4j.spi.Availability;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.BackendProvider;
import dev.gemma4j.spi.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Ascend NPU backend's provider: rank 1 (preferred over the CPU), available when the CANN libraries
 * load, {@code ASCEND_OPP_PATH} names the operator kernels, {@code aclrtGetDeviceCount} finds a device
 * ({@code ASCEND_RT_VISIBLE_DEVICES} is applied by the runtime) and the chip is one whose operators this
 * backend's calls are documented for ({@link ChipSupport}). Otherwise it is unavailable with the reason,
 * and automatic selection falls back to the CPU. Its default precision is bf16 activations with float32
 * norms and softmax, what deployments run; float32 math stays available for verification.
 */
public final class NpuBackendProvider implements BackendProvider {
  static final String NAME = "npu";

  private final Map<String, String> env;
  private volatile @org.jspecify.annotations.Nullable NpuProbes probes;
  private volatile Loaded loaded;

  /** Loaded libraries and the device count, or why they could not be had. */
  private record Loaded(AclRuntime runtime, int devices, String reason) {}

  /** Creates the provider from the process environment; {@link java.util.ServiceLoader} calls this. */
  public NpuBackendProvider() {
    this(System.getenv());
  }

  /** Creates the provider for an explicit environment (tests point it at toolkits). */
  NpuBackendProvider(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int rank() {
    return 1;
  }

  @Override
  public Precision defaultPrecision() {
    return Precision.BFLOAT16;
  }

  private Loaded load() {
    Loaded l = loaded;
    if (l == null) {
      synchronized (this) {
        l = loaded;
        if (l == null) {
          l = probe();
          loaded = l;
        }
      }
    }
    return l;
  }

  private Loaded probe() {
    List<String> tried = new ArrayList<>();
    Optional<AscendToolkit> toolkit = AscendToolkit.locate(env, tried);
    if (toolkit.isEmpty()) {
      return new Loaded(null, 0, "no CANN toolkit found (looked for " + String.join(", ", tried)
          + "); install CANN 8 and run `source /usr/local/Ascend/ascend-toolkit/set_env.sh`, or set ASCEND_HOME_PATH");
    }
    String opp = env.get("ASCEND_OPP_PATH");
    if (opp == null || opp.isBlank() || !Files.isDirectory(Path.of(opp))) {
      return new Loaded(null, 0, "ASCEND_OPP_PATH " + (opp == null || opp.isBlank() ? "is not set" : "=" + opp
          + " is not a folder") + ": CANN finds its operator kernels there; run `source " + toolkit.get().home()
          + "/set_env.sh` (it sets ASCEND_OPP_PATH=" + toolkit.get().home().resolve("opp") + ")");
    }
    try {
      AclRuntime runtime = new AclRuntime(AclLibrary.open(toolkit.get()));
      runtime.init();
      int devices = runtime.deviceCount();
      if (devices == 0) {
        String visible = env.get("ASCEND_RT_VISIBLE_DEVICES");
        return new Loaded(runtime, 0, "CANN loaded from " + toolkit.get().home() + " but no NPU is visible"
            + (visible != null ? " (ASCEND_RT_VISIBLE_DEVICES=" + visible + ")" : "") + "; check `npu-smi info`");
      }
      Optional<String> refused = ChipSupport.refusal(runtime.socName(), env);
      if (refused.isPresent()) {
        return new Loaded(runtime, 0, refused.get());
      }
      return new Loaded(runtime, devices, "");
    } catch (RuntimeException | LinkageError e) {
      return new Loaded(null, 0, "CANN at " + toolkit.get().home() + " did not initialize: " + e.getMessage());
    }
  }

  @Override
  public Availability availability() {
    Loaded l = load();
    if (l.devices() == 0) {
      return Availability.unavailable(l.reason());
    }
    return Availability.available(l.devices() + " device(s), " + l.runtime().socName() + ", CANN at "
        + l.runtime().library().toolkit().home() + "; " + NpuFusions.probe(l.runtime().library(), env).describe()
        + "; " + probes(l).describe());
  }

  /**
   * What this CANN answers to {@link NpuProbes}, asked once: of the first device a backend opened, or of
   * device 0 when availability is asked first (backends opened later take the answers, not asking again).
   */
  private NpuProbes probes(Loaded l) {
    NpuProbes p = probes;
    if (p == null) {
      synchronized (this) {
        if (probes == null) {
          opened(NpuBackend.open(l.runtime(), 0, Precision.FLOAT32, NpuFusions.probe(l.runtime().library(), env), null))
              .close();
        }
        p = probes;
      }
    }
    return p;
  }

  /** Keeps the answers of the first backend that asked its device. */
  private NpuBackend opened(NpuBackend backend) {
    synchronized (this) {
      if (probes == null) {
        probes = ((NpuTensorOps) backend.ops()).probes();
      }
    }
    return backend;
  }

  @Override
  public Backend open(BackendOptions options) {
    Loaded l = load();
    if (l.devices() == 0) {
      throw new GemmaException("the NPU backend is not available: " + l.reason());
    }
    if (options.deviceIndex() >= l.devices()) {
      throw new GemmaException("npu:" + options.deviceIndex() + " does not exist: " + l.devices()
          + " device(s) are visible (numbered from 0; ASCEND_RT_VISIBLE_DEVICES narrows them)");
    }
    return opened(NpuBackend.open(
        l.runtime(), options.deviceIndex(), options.precision(), NpuFusions.probe(l.runtime().library(), env), probes));
  }
}
