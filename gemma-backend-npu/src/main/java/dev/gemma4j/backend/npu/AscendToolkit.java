package dev.gemma4j.backend.npu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the CANN toolkit is: {@code ASCEND_HOME_PATH}, else {@code ASCEND_TOOLKIT_HOME}, else
 * {@code /usr/local/Ascend/ascend-toolkit/latest}, else {@code /usr/local/Ascend/cann}. Its libraries are
 * {@code libascendcl.so} (runtime), {@code libnnopbase.so} (tensors) and the operators: {@code libopapi.so},
 * or in newer CANN split op packages {@code libopapi_<package>.so}. They are looked for in {@code lib64/}
 * (the classic layout), then in {@code <arch>-linux/lib64/} (the per-architecture layout of split
 * packages), and operator packages also in {@code opp/lib64/}: the layout of a given CANN is not assumed.
 *
 * @param home the toolkit folder
 * @param origin how it was found, for messages
 */
record AscendToolkit(Path home, String origin) {
  static final List<String> LIBRARIES = List.of("libascendcl.so", "libnnopbase.so");

  /** The folders libraries are looked for in, in order. */
  List<Path> libraryFolders() {
    String arch = switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> System.getProperty("os.arch");
    };
    return List.of(home.resolve("lib64"), home.resolve(arch + "-linux").resolve("lib64"));
  }

  /**
   * The operator libraries present: {@code libopapi.so} and every {@code libopapi_*.so}, from the library
   * folders and then {@code opp/lib64}; a name found twice is taken from the first folder. Sorted by name.
   */
  List<Path> operatorLibraries() {
    java.util.Map<String, Path> found = new java.util.TreeMap<>();
    List<Path> folders = new ArrayList<>(libraryFolders());
    folders.add(home.resolve("opp").resolve("lib64"));
    for (Path folder : folders) {
      try (var files = Files.list(folder)) {
        files.filter(f -> f.getFileName().toString().matches("libopapi(_[A-Za-z0-9]+)?\\.so"))
            .filter(Files::isRegularFile)
            .forEach(f -> found.putIfAbsent(f.getFileName().toString(), f));
      } catch (java.io.IOException e) {
        // a folder this layout does not have
      }
    }
    return List.copyOf(found.values());
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

  /** Where the library {@code name} is: the first library folder that has it, else where the classic layout puts it. */
  Path library(String name) {
    for (Path folder : libraryFolders()) {
      if (Files.isRegularFile(folder.resolve(name))) {
        return folder.resolve(name);
      }
    }
    return home.resolve("lib64").resolve(name);
  }
}
