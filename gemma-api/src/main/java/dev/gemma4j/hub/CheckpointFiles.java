package dev.gemma4j.hub;

import dev.gemma4j.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/** Whether a folder holds a usable checkpoint: {@code config.json} and every weight file. */
final class CheckpointFiles {
  private CheckpointFiles() {}

  static boolean complete(Path folder) {
    if (!Files.isDirectory(folder) || !Files.isRegularFile(folder.resolve("config.json"))) {
      return false;
    }
    Path index = folder.resolve("model.safetensors.index.json");
    if (Files.isRegularFile(index)) {
      try {
        Set<String> shards = Checkpoint.shardNames(index);
        return !shards.isEmpty() && shards.stream().allMatch(s -> Files.isRegularFile(folder.resolve(s)));
      } catch (RuntimeException e) {
        return false;
      }
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p));
    } catch (IOException e) {
      return false;
    }
  }
}
