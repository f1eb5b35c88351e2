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
 * {@code lib64/} holds {@code libascendcl.so} (runtime), {@code libnnopbase.so} (tensors) and
 * {@code libopapi.so} (operators, possibly split into {@code libopapi_*.so}).
 *
 * @param home the toolkit folder
 * @param origin how it was found, for messages
 */
record AscendToolkit(Path home, String origin) {
  static final List<String> LIBRARIES = List.of("libascendcl.so", "libnnopbase.so", "libopapi.so");
  static final List<String> OPTIONAL_LIBRARIES = List.of("libopapi_math.so", "libopapi_nn.so", "libopapi_transformer.so");

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
