package dev.gemma4j;

import java.nio.file.Path;

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
}
