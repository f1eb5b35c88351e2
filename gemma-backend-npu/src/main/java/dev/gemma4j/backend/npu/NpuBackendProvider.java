package dev.gemma4j.backend.npu;

import dev.gemma4j.GemmaException;
import dev.gemma4j.spi.Availability;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Ascend NPU backend's provider: rank 1 (preferred over the CPU), available when the CANN libraries
 * load and {@code aclrtGetDeviceCount} finds a device ({@code ASCEND_RT_VISIBLE_DEVICES} is applied by the
 * runtime). Otherwise it is unavailable with the reason, and automatic selection falls back to the CPU.
 *
 * <p>Weights are kept in the checkpoint's dtype; {@code GEMMA_NPU_WEIGHTS=f16} (or the system property
 * {@value #WEIGHTS_PROPERTY}) stores them as float16 instead, for devices where float16 is the fast type.
 */
public final class NpuBackendProvider implements BackendProvider {
  static final String NAME = "npu";
  /** System property choosing the weight storage: {@code stored} (the default) or {@code f16}. */
  public static final String WEIGHTS_PROPERTY = "gemma.npu.weights";

  private final Map<String, String> env;
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
    try {
      AclRuntime runtime = new AclRuntime(AclLibrary.open(toolkit.get()));
      runtime.init();
      int devices = runtime.deviceCount();
      if (devices == 0) {
        String visible = env.get("ASCEND_RT_VISIBLE_DEVICES");
        return new Loaded(runtime, 0, "CANN loaded from " + toolkit.get().home() + " but no NPU is visible"
            + (visible != null ? " (ASCEND_RT_VISIBLE_DEVICES=" + visible + ")" : "") + "; check `npu-smi info`");
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
        + l.runtime().library().toolkit().home());
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
    return NpuBackend.open(l.runtime(), options.deviceIndex(), options.precision(), float16Weights());
  }

  private boolean float16Weights() {
    String choice = System.getProperty(WEIGHTS_PROPERTY, env.getOrDefault("GEMMA_NPU_WEIGHTS", "stored"));
    return switch (choice.toLowerCase(Locale.ROOT)) {
      case "f16", "fp16", "float16" -> true;
      case "stored", "" -> false;
      default -> throw new GemmaException(
          "GEMMA_NPU_WEIGHTS / -D" + WEIGHTS_PROPERTY + "=" + choice + " is not known; use stored or f16");
    };
  }
}
