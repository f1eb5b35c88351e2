package dev.gemma4j.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Function;

/**
 * Reading files a checkpoint names without trusting them: only regular files (a FIFO or device under a
 * checkpoint's name would block or misbehave), only up to a size that makes sense for what they hold.
 * Internal, not API.
 */
public final class SafeFiles {
  private SafeFiles() {}

  /**
   * Checks that {@code file} is a regular file (symbolic links followed, as the Hugging Face cache uses
   * them).
   *
   * @throws RuntimeException from {@code error} naming what the path is instead
   */
  public static void requireRegularFile(Path file, String what, Function<String, ? extends RuntimeException> error) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw error.apply(what + " " + file + " does not exist");
    } catch (IOException e) {
      throw error.apply("cannot read " + what + " " + file + ": " + e.getMessage());
    }
    if (!attributes.isRegularFile()) {
      String kind = attributes.isDirectory() ? "a folder" : attributes.isSymbolicLink() ? "a broken symbolic link" : "not a regular file (a FIFO, socket or device)";
      throw error.apply(what + " " + file + " is " + kind + "; it must be a regular file");
    }
  }

  /** Whether {@code path} is a symbolic link that does not lead to an existing file (a loop, or dangling). */
  public static boolean isBrokenLink(Path path) {
    return Files.isSymbolicLink(path) && !Files.exists(path);
  }

  /**
   * Reads a regular text file of at most {@code maxBytes}.
   *
   * @throws RuntimeException from {@code error} naming the file and the problem
   */
  public static String readText(Path file, long maxBytes, String what, Function<String, ? extends RuntimeException> error) {
    requireRegularFile(file, what, error);
    try {
      long size = Files.size(file);
      if (size > maxBytes) {
        throw error.apply(what + " " + file + " has " + ByteSizes.format(size) + "; more than the "
            + ByteSizes.format(maxBytes) + " such a file can sensibly hold, so it is not what it claims to be");
      }
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw error.apply("cannot read " + what + " " + file + ": " + e.getMessage());
    }
  }

  /** Whether {@code path}, resolved against {@code folder} and normalized, stays inside {@code folder}. */
  public static boolean staysInside(Path folder, String relative) {
    if (relative.isEmpty() || relative.indexOf('\\') >= 0 || relative.indexOf('\0') >= 0) {
      return false;
    }
    Path p = Path.of(relative);
    if (p.isAbsolute()) {
      return false;
    }
    for (Path part : p) {
      String s = part.toString();
      if (s.equals("..") || s.equals(".") || s.isEmpty()) {
        return false;
      }
    }
    Path base = folder.toAbsolutePath().normalize();
    return base.resolve(p).normalize().startsWith(base);
  }
}
