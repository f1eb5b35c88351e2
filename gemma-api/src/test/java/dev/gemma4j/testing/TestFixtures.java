package dev.gemma4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** Where the reference fixtures live: {@code -Dgemma.fixtures}, set by the build. */
public final class TestFixtures {
  private TestFixtures() {}

  /** The folder of fixture {@code name}. */
  public static Path path(String name) {
    String root = System.getProperty("gemma.fixtures");
    if (root == null) {
      throw new IllegalStateException("-Dgemma.fixtures is not set; run the tests through Maven");
    }
    return Path.of(root, name);
  }

  /** A writable copy of fixture {@code name} inside {@code dir}, for tests that damage it. */
  public static Path copy(String name, Path dir) throws IOException {
    Path target = Files.createDirectories(dir.resolve(name));
    try (Stream<Path> files = Files.list(path(name))) {
      for (Path f : files.toList()) {
        Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return target;
  }

  /** A fixture's {@code golden.json}. */
  public static com.google.gson.JsonObject golden(String name) throws IOException {
    return com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(path(name).resolve("golden.json")))
        .getAsJsonObject();
  }

  /** A JSON array of integers. */
  public static int[] ints(com.google.gson.JsonArray array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false)
        .mapToInt(com.google.gson.JsonElement::getAsInt).toArray();
  }

  /** A published {@code config.json} from {@code real-configs}, e.g. {@code gemma-3-27b-it}. */
  public static dev.gemma4j.config.ModelConfig realConfig(String name) {
    return dev.gemma4j.config.ModelConfig.load(path("real-configs").resolve(name + ".config.json"));
  }
}
