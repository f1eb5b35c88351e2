package dev.gemma4j.internal.engine;

import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Names the revision of a checkpoint folder; see {@code Gemma.revision()}. */
final class ModelRevision {
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

  private ModelRevision() {}

  static String of(Path folder, Checkpoint checkpoint) {
    Path name = folder.toAbsolutePath().normalize().getFileName();
    Path parent = folder.toAbsolutePath().normalize().getParent();
    if (name != null && parent != null && parent.getFileName() != null
        && parent.getFileName().toString().equals("snapshots") && COMMIT.matcher(name.toString()).matches()) {
      return name.toString();
    }
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(Files.readAllBytes(folder.resolve("config.json")));
      TreeMap<String, Long> files = new TreeMap<>();
      for (TensorInfo t : checkpoint.tensors().values()) {
        files.merge(t.file().getFileName().toString(), t.byteLength(), Long::sum);
      }
      digest.update(files.toString().getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (IOException | NoSuchAlgorithmException e) {
      return "unknown";
    }
  }
}
