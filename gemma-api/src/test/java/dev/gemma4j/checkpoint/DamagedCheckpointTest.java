package dev.gemma4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gemma4j.testing.TestFixtures;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints damaged the way a careless copy or a hostile upload would: every one is refused with a
 * {@link ModelFormatException} naming the file and what is wrong, never opened outside its folder, never
 * a hang, never a quietly different model.
 */
@Timeout(30)
class DamagedCheckpointTest {
  @TempDir Path dir;

  private String refused(Path folder) {
    return assertThrows(ModelFormatException.class, () -> Checkpoint.open(folder).close()).getMessage();
  }

  private static void editJson(Path file, Consumer<JsonObject> edit) throws IOException {
    JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    edit.accept(o);
    Files.writeString(file, o.toString());
  }

  private static void setShard(Path folder, String tensor, String shard) throws IOException {
    editJson(folder.resolve("model.safetensors.index.json"), o -> o.getAsJsonObject("weight_map").addProperty(tensor, shard));
  }

  @Test
  void aShardOutsideTheFolderIsNeverOpened() throws IOException {
    Path folder = TestFixtures.copy("tiny-gemma2", dir);
    Path outside = Files.copy(folder.resolve("model-00001-of-00005.safetensors"), dir.resolve("outside.safetensors"));
    for (String name : new String[] {outside.toString(), "../outside.safetensors", "sub/../../outside.safetensors"}) {
      setShard(folder, "model.norm.weight", name);
      String message = refused(folder);
      assertTrue(message.contains("\"" + name + "\"") && message.contains("never a path")
          && message.contains("model.safetensors.index.json"), message);
    }
  }

  @Test
  void aMalformedIndexIsNamed() throws IOException {
    Path folder = TestFixtures.copy("tiny-gemma2", dir);
    Path index = folder.resolve("model.safetensors.index.json");
    editJson(index, o -> o.getAsJsonObject("weight_map").add("model.norm.weight", com.google.gson.JsonNull.INSTANCE));
    String nullShard = refused(folder);
    assertTrue(nullShard.contains("the shard of tensor model.norm.weight must be a file name, found null"), nullShard);

    editJson(index, o -> o.add("weight_map", new JsonArray()));
    String array = refused(folder);
    assertTrue(array.contains("\"weight_map\" must be an object") && array.contains(index.toString()), array);

    Files.writeString(index, "{\"weight_map\": {}, \"weight_map\": {}}");
    String duplicate = refused(folder);
    assertTrue(duplicate.contains("\"weight_map\" twice"), duplicate);
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void aFifoUnderACheckpointNameIsRefusedWithoutBlocking() throws Exception {
    for (String name : new String[] {"model.safetensors", "config.json", "model.safetensors.index.json"}) {
      Path folder = Files.createDirectories(dir.resolve("fifo-" + name));
      TestFixtures.copy("tiny-gemma2-bf16", folder);
      Path model = folder.resolve("tiny-gemma2-bf16");
      Files.delete(model.resolve(name.equals("model.safetensors.index.json") ? "model.safetensors" : name));
      mkfifo(model.resolve(name));
      String message = refused(model);
      assertTrue(message.contains(name) && message.contains("not a regular file"), message);
    }
    Path extra = TestFixtures.copy("tiny-gemma2-bf16", dir.resolve("fifo-extra"));
    Files.delete(extra.resolve("model.safetensors"));
    mkfifo(extra.resolve("x.safetensors"));
    String message = refused(extra);
    assertTrue(message.contains("x.safetensors") && message.contains("not a regular file"), message);
  }

  private static void mkfifo(Path path) throws Exception {
    Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
    assumeTrue(p.waitFor() == 0, "mkfifo is not available");
  }

  @Test
  void aFolderUnderAFileNameIsNamed() throws IOException {
    Path folder = TestFixtures.copy("tiny-gemma2-bf16", dir);
    Files.delete(folder.resolve("model.safetensors"));
    Files.createDirectory(folder.resolve("model.safetensors"));
    String message = refused(folder);
    assertTrue(message.contains("model.safetensors is a folder; it must be a regular file"), message);
  }

  @Test
  void weightsForMoreLayersThanTheConfigAreRefused() throws IOException {
    Path folder = TestFixtures.copy("tiny-gemma2", dir);
    editJson(folder.resolve("config.json"), o -> {
      o.addProperty("num_hidden_layers", 3);
      o.getAsJsonArray("layer_types").remove(3);
    });
    String message = refused(folder);
    assertTrue(message.contains("model.layers.3.") && message.contains("declares 3 layers")
        && message.contains("different models"), message);
  }

  @Test
  void aMultimodalGemma3sLanguageModelLayersAreCountedToo() throws IOException {
    Path folder = TestFixtures.copy("shape-gemma3-mm-bf16", dir);
    editJson(folder.resolve("config.json"), o -> o.getAsJsonObject("text_config").addProperty("num_hidden_layers", 6));
    String message = refused(folder);
    assertTrue(message.contains("language_model.model.layers.6.") && message.contains("declares 6 layers"), message);
  }

  /** A safetensors file of two float32 tensors with the header {@code json}. */
  private Path twoTensors(String json) throws IOException {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + 64).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header);
    Path file = dir.resolve("damaged.safetensors");
    Files.write(file, b.array());
    return file;
  }

  private String headerRefused(String json) throws IOException {
    Path file = twoTensors(json);
    String message = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file).close()).getMessage();
    assertTrue(message.contains("damaged.safetensors"), message);
    return message;
  }

  @Test
  void forgedHeadersAreRefused() throws IOException {
    String overlap = headerRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[16,48]}}");
    assertTrue(overlap.contains("tensors a and b claim overlapping bytes"), overlap);

    String duplicate = headerRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}");
    assertTrue(duplicate.contains("\"a\" twice"), duplicate);

    String fraction = headerRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[64.5],\"data_offsets\":[0,16]}}");
    assertTrue(fraction.contains("the dimension 64.5"), fraction);

    String text = headerRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}");
    assertTrue(text.contains("the dimension \"4\""), text);

    String offsets = headerRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0.5,16]}}");
    assertTrue(offsets.contains("data_offsets [0.5,16]"), offsets);

    String dtype = headerRefused("{\"a\":{\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,16]}}");
    assertTrue(dtype.contains("no \"dtype\" string"), dtype);
  }

  @Test
  void aFileChangedAfterLoadingIsNamed() throws IOException {
    Path folder = TestFixtures.copy("tiny-gemma2-bf16", dir);
    try (Checkpoint c = Checkpoint.open(folder)) {
      assertEquals(java.util.Optional.empty(), c.changedFile());
      Path weights = folder.resolve("model.safetensors");
      try (var channel = java.nio.channels.FileChannel.open(weights, java.nio.file.StandardOpenOption.WRITE)) {
        channel.truncate(Files.size(weights) / 2);
      }
      assertEquals(java.util.Optional.of(weights), c.changedFile());
    }
  }
}
