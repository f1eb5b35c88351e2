package dev.gemma4j.backend.cpu;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.gemma4j.GemmaException;
import dev.gemma4j.internal.vector.VectorSupport;
import dev.gemma4j.spi.Availability;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.BackendProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The CPU backend's provider: rank 10, available wherever DJL's PyTorch engine loads. DJL is put in
 * offline mode before its first use so that start-up never reaches for the network.
 */
public final class CpuBackendProvider implements BackendProvider {
  static final String NAME = "cpu";
  private static final String ENGINE = "PyTorch";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public CpuBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int rank() {
    return 10;
  }

  @Override
  public Availability availability() {
    try {
      Engine engine = engine();
      return Availability.available(
          "PyTorch " + engine.getVersion() + " on " + cpuName() + ", "
              + Runtime.getRuntime().availableProcessors() + " cores");
    } catch (RuntimeException | LinkageError e) {
      return Availability.unavailable(
          "DJL's PyTorch engine did not load (" + e.getMessage() + "); the artifacts"
              + " ai.djl.pytorch:pytorch-jni and pytorch-native-cpu (classifier linux-x86_64) must be on"
              + " the class path");
    }
  }

  @Override
  public Backend open(BackendOptions options) {
    if (options.deviceIndex() != 0) {
      throw new GemmaException(
          "the CPU backend has one device, cpu:0; cpu:" + options.deviceIndex() + " does not exist");
    }
    Engine engine;
    try {
      engine = engine();
    } catch (RuntimeException | LinkageError e) {
      throw new GemmaException("the CPU backend cannot start: " + availability().detail(), e);
    }
    int threads = CpuThreads.resolve(options.threads());
    JniUtils.setNumThreads(threads);
    String vector = VectorSupport.enabled() ? "Vector API kernels" : "scalar kernels (add --add-modules jdk.incubator.vector)";
    String device =
        String.format(Locale.ROOT, "cpu (%s, %d threads, %s, PyTorch %s)", cpuName(), threads, vector, engine.getVersion());
    return new CpuBackend(engine, options.precision(), threads, device);
  }

  private static Engine engine() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    CpuThreads.quietOpenMp();
    return Engine.getEngine(ENGINE);
  }

  static String cpuName() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | SecurityException e) {
      // fall through to the JVM's view
    }
    return System.getProperty("os.arch");
  }
}
