package dev.gemma4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path dir;

  private Path copyOf(String fixture) throws IOException {
    return TestFixtures.copy(fixture, dir);
  }

  @Test
  void readsAShardedCheckpointThroughItsIndex() {
    try (Checkpoint c = Checkpoint.open(TestFixtures.path("tiny-gemma2"))) {
      // 4 layers x 11 tensors + embedding + final norm
      assertEquals(46, c.tensors().size());
      assertEquals(921_856, c.storedBytes());
      TensorInfo q = c.tensor("model.layers.3.self_attn.q_proj.weight", 64, 64);
      assertEquals(DType.F32, q.dtype());
      assertEquals(64 * 64 * 4, c.segment(q, 0, q.byteLength()).byteSize());
    }
  }

  @Test
  void readsASingleFileCheckpoint() {
    try (Checkpoint c = Checkpoint.open(TestFixtures.path("tiny-gemma2-bf16"))) {
      assertEquals(DType.BF16, c.tensor("model.embed_tokens.weight", 512, 64).dtype());
    }
  }

  @Test
  void namesAMissingTensor() {
    try (Checkpoint c = Checkpoint.open(TestFixtures.path("tiny-gemma2-bf16"))) {
      String message = assertThrows(ModelFormatException.class, () -> c.tensor("model.layers.9.mlp.up_proj.weight", 1)).getMessage();
      assertTrue(message.contains("lacks the tensor model.layers.9.mlp.up_proj.weight"), message);
    }
  }

  @Test
  void namesATensorOfTheWrongShape() {
    try (Checkpoint c = Checkpoint.open(TestFixtures.path("tiny-gemma2-bf16"))) {
      String message =
          assertThrows(ModelFormatException.class, () -> c.tensor("model.layers.0.mlp.up_proj.weight", 100, 64)).getMessage();
      assertTrue(message.contains("shape [192, 64]") && message.contains("[100, 64]"), message);
    }
  }

  @Test
  void namesAMissingConfig() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    Files.delete(folder.resolve("config.json"));
    String message = assertThrows(ModelFormatException.class, () -> Checkpoint.open(folder)).getMessage();
    assertTrue(message.contains("config.json does not exist"), message);
  }

  @Test
  void namesAMissingShard() throws IOException {
    Path folder = copyOf("tiny-gemma2");
    Files.delete(folder.resolve("model-00003-of-00005.safetensors"));
    String message = assertThrows(ModelFormatException.class, () -> Checkpoint.open(folder)).getMessage();
    assertTrue(message.contains("model-00003-of-00005.safetensors") && message.contains("does not exist"), message);
  }

  @Test
  void namesACorruptShard() throws IOException {
    Path folder = copyOf("tiny-gemma2");
    Path shard = folder.resolve("model-00002-of-00005.safetensors");
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    String message = assertThrows(ModelFormatException.class, () -> Checkpoint.open(folder)).getMessage();
    assertTrue(message.contains("corrupt safetensors file") && message.contains("model-00002-of-00005"), message);
  }

  @Test
  void namesAFolderWithoutWeights() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    Files.delete(folder.resolve("model.safetensors"));
    String message = assertThrows(ModelFormatException.class, () -> Checkpoint.open(folder)).getMessage();
    assertTrue(message.contains("holds no weights"), message);
  }

  @Test
  void namesAMissingFolder() {
    String message = assertThrows(ModelFormatException.class, () -> Checkpoint.open(dir.resolve("nope"))).getMessage();
    assertTrue(message.contains("does not exist or is not a folder"), message);
  }
}
