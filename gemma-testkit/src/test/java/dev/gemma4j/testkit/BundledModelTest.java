package dev.gemma4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class BundledModelTest {
  @Test
  void extractsTheTinyModelOnceAndByteForByte() throws IOException {
    Path folder = BundledModel.path();
    assertEquals(folder, BundledModel.path());
    for (String file : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
      assertArrayEquals(
          Files.readAllBytes(TestFixtures.path("tiny-gemma2-tok").resolve(file)),
          Files.readAllBytes(folder.resolve(file)),
          file);
    }
  }

  private static void assertIsTheBundledModel(Path folder) throws IOException {
    for (String file : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
      assertArrayEquals(
          Files.readAllBytes(TestFixtures.path("tiny-gemma2-tok").resolve(file)), Files.readAllBytes(folder.resolve(file)), file);
    }
  }

  @Test
  void filesSomeoneElsePlacedOrChangedAreReplacedNeverLoaded(@TempDir Path cache) throws IOException {
    Path folder = BundledModel.extractInto(cache);
    assertTrue(folder.startsWith(cache));
    Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"planted\"}");
    byte[] weights = Files.readAllBytes(folder.resolve("model.safetensors"));
    weights[weights.length - 1] ^= 1;
    Files.write(folder.resolve("model.safetensors"), weights);
    assertEquals(folder, BundledModel.extractInto(cache));
    assertIsTheBundledModel(folder);
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void aFolderOthersCanWriteIsRefused(@TempDir Path tmp) throws IOException {
    Path shared = Files.createDirectories(tmp.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    dev.gemma4j.GemmaException e = assertThrows(dev.gemma4j.GemmaException.class, () -> BundledModel.extractInto(shared));
    assertTrue(e.getMessage().contains("is not a private folder") && e.getMessage().contains("rwxrwxrwx"), e.getMessage());
    try (var files = Files.list(shared)) {
      assertEquals(0, files.count(), "nothing is extracted into it");
    }
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void theExtractedModelIsPrivate(@TempDir Path cache) throws IOException {
    Path folder = BundledModel.extractInto(cache.resolve("fresh"));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.resolve("fresh"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.getParent())));
    assertIsTheBundledModel(folder);
  }
}
