package dev.gemma4j.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;

/**
 * A weight file mapped read-only, with its size and modification time when mapped: a mapped file that is
 * truncated or rewritten while in use makes reads fault, so a fault is checked against {@link #unchanged()}.
 */
final class MappedFile implements AutoCloseable {
  private final Path path;
  private final Arena arena;
  private final MemorySegment data;
  private final long size;
  private final FileTime modified;

  private MappedFile(Path path, Arena arena, MemorySegment data, long size, FileTime modified) {
    this.path = path;
    this.arena = arena;
    this.data = data;
    this.size = size;
    this.modified = modified;
  }

  /** Maps the whole file. */
  static MappedFile map(Path path) throws IOException {
    Arena arena = Arena.ofShared();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size();
      FileTime modified = Files.getLastModifiedTime(path);
      return new MappedFile(path, arena, channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), size, modified);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  Path path() {
    return path;
  }

  /** The mapped bytes. */
  MemorySegment data() {
    return data;
  }

  /** Whether the file on disk is still the one mapped: same size and modification time. */
  boolean unchanged() {
    try {
      return Files.size(path) == size && Files.getLastModifiedTime(path).equals(modified);
    } catch (IOException e) {
      return false;
    }
  }

  /** Unmaps the file. */
  @Override
  public void close() {
    arena.close();
  }
}
