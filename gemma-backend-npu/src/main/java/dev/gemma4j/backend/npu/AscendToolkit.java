package dev.gemma4j.backend.npu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the CANN toolkit is: {@code ASCEND_HOME_PATH}, else {@code ASCEND_TOOLKIT_HOME}, else
 * {@code /usr/local/Ascend/ascend-toolkit/latest}, else {@code /usr/local/Ascend/cann}. Its
 * {@code lib64/} holds {@code libascendcl.so} (runtime), {@code libnnopbase.so} (tensors) and the operators:
 * {@code libopapi.so}, or in newer CANN split op packages {@code libopapi_<package>.so}.
 *
 * @param home the toolkit folder
 * @param origin how it was found, for messages
 */
record AscendToolkit(Path home, String origin) {
  static final List<String> LIBRARIES = List.of("libascendcl.so", "libnnopbase.so");

  /** The operator libraries present: {@code libopapi.so} and every {@code libopapi_*.so}, sorted by name. */
  List<Path> operatorLibraries() {
    try (var files = Files.list(home.resolve("lib64"))) {
      return files
          .filter(f -> f.getFileName().toString().matches("libopapi(_[A-Za-z0-9]+)?\\.so"))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  /** The toolkit the environment points at, or why none was found. */
  static Optional<AscendToolkit> locate(Map<String, String> env, List<String> tried) {
    List<AscendToolkit> candidates = new ArrayList<>();
    for (String variable : List.of("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME")) {
      String value = env.get(variable);
      if (value != null && !value.isBlank()) {
        candidates.add(new AscendToolkit(Path.of(value), variable + "=" + value));
      }
    }
    candidates.add(new AscendToolkit(Path.of("/usr/local/Ascend/ascend-toolkit/latest"), "the default location"));
    candidates.add(new AscendToolkit(Path.of("/usr/local/Ascend/cann"), "the default location"));
    for (AscendToolkit t : candidates) {
      if (Files.isRegularFile(t.library("libascendcl.so"))) {
        return Optional.of(t);
      }
      tried.add(t.library("libascendcl.so") + " (" + t.origin() + ")");
    }
    return Optional.empty();
  }

  Path library(String name) {
    return home.resolve("lib64").resolve(name);
  }
}
