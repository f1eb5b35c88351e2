package dev.gemma4j.backend.npu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The ascend-emulator the build made, and copies of it with their own {@code emulator.conf}. */
final class Emulator {
  private Emulator() {}

  /** The toolkit folder the build made; the tests' ASCEND_HOME_PATH points at it. */
  static Path home() {
    String home = System.getenv("ASCEND_HOME_PATH");
    if (home == null) {
      throw new IllegalStateException("ASCEND_HOME_PATH is not set; run the tests through Maven, which builds the emulator");
    }
    return Path.of(home);
  }

  /** A copy of the emulator toolkit in {@code dir} with {@code conf} as its emulator.conf. */
  static Path copy(Path dir, String conf) throws IOException {
    return copy(dir, conf, List.of("libascendcl.so", "libnnopbase.so", "libopapi.so"));
  }

  /** A copy whose {@code lib64/} holds the emulator under the given library names. */
  static Path copy(Path dir, String conf, List<String> libraries) throws IOException {
    Path lib = Files.createDirectories(dir.resolve("lib64"));
    Files.copy(home().resolve("lib64/libascend_emulator.so"), lib.resolve("libascend_emulator.so"));
    for (String name : libraries) {
      Files.createSymbolicLink(lib.resolve(name), Path.of("libascend_emulator.so"));
    }
    Files.writeString(dir.resolve("emulator.conf"), conf);
    Files.createDirectories(dir.resolve("opp"));
    return dir;
  }

  /** A provider whose environment points at {@code home}, as CANN's set_env.sh does. */
  static NpuBackendProvider provider(Path home) {
    return new NpuBackendProvider(environment(home));
  }

  /** ASCEND_HOME_PATH and ASCEND_OPP_PATH of the toolkit in {@code home}. */
  static Map<String, String> environment(Path home) {
    return Map.of("ASCEND_HOME_PATH", home.toString(), "ASCEND_OPP_PATH", home.resolve("opp").toString());
  }
}
