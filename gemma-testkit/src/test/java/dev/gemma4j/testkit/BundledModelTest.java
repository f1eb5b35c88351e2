package dev.gemma4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gemma4j.TestFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
}
