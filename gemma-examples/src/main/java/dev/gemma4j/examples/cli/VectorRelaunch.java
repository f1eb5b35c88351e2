package dev.gemma4j.examples.cli;

import dev.gemma4j.internal.vector.VectorSupport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.lang.management.ManagementFactory;
import java.lang.module.ModuleFinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Makes {@code java -jar gemma.jar} run with the Java Vector API, which its fast kernels need: a jar's
 * manifest cannot add a module, so when the JVM was started without {@code --add-modules
 * jdk.incubator.vector}, the program runs itself once more with it (same JVM, options, class path and
 * arguments; standard input and output shared; the exit status and a termination passed on).
 * {@code GEMMA_NO_RELAUNCH=1} or {@code -Dgemma.vector=false} keeps the first JVM, on the scalar kernels.
 */
final class VectorRelaunch {
  static final String GUARD = "GEMMA_NO_RELAUNCH";

  private VectorRelaunch() {}

  /** The command that reruns this program with the Vector API, when that is needed and possible. */
  static Optional<List<String>> command(String[] args) {
    if (VectorSupport.enabled()
        || System.getenv(GUARD) != null
        || "false".equalsIgnoreCase(System.getProperty("gemma.vector"))
        || ModuleFinder.ofSystem().find("jdk.incubator.vector").isEmpty()) {
      return Optional.empty();
    }
    Optional<String> java = ProcessHandle.current().info().command();
    String classPath = System.getProperty("java.class.path");
    if (java.isEmpty() || classPath == null || classPath.isEmpty()) {
      return Optional.empty();
    }
    List<String> command = new ArrayList<>();
    command.add(java.get());
    command.add("--add-modules");
    command.add("jdk.incubator.vector");
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(classPath);
    command.add(GemmaCli.class.getName());
    command.addAll(List.of(args));
    return Optional.of(command);
  }

  /** The line the JVM prints for an incubator module; the user did not ask for it, so it is not shown. */
  static final byte[] INCUBATOR_WARNING =
      "WARNING: Using incubator modules: jdk.incubator.vector\n".getBytes(StandardCharsets.UTF_8);

  /**
   * Runs the command with this process's input and output (its standard error passed through, less the
   * JVM's incubator warning); returns its exit status.
   */
  static int run(List<String> command) {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put(GUARD, "1");
    Process child;
    try {
      child = builder.start();
    } catch (IOException e) {
      return -1;
    }
    Thread errors = Thread.ofPlatform().daemon().name("gemma-relaunch-stderr").start(() -> passErrors(child.getErrorStream()));
    Thread stop = new Thread(() -> {
      if (child.isAlive()) {
        child.destroy(); // SIGTERM: the child shuts down as this process was asked to
        try {
          child.waitFor();
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
      }
    });
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      int status = child.waitFor();
      errors.join();
      return status;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      child.destroy();
      return 130;
    }
  }

  /** Copies the child's standard error to ours, dropping the incubator warning where it comes first. */
  static void passErrors(InputStream in) {
    try (in) {
      byte[] head = in.readNBytes(INCUBATOR_WARNING.length);
      if (!Arrays.equals(head, INCUBATOR_WARNING)) {
        System.err.write(head);
      }
      System.err.flush();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) > 0) {
        System.err.write(buffer, 0, n);
        System.err.flush();
      }
    } catch (IOException e) {
      // the child is gone
    }
  }
}
