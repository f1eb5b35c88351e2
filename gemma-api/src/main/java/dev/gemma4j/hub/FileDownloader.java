package dev.gemma4j.hub;

import dev.gemma4j.GemmaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads one file safely: into {@code target.incomplete}, resuming from what an earlier attempt left
 * there with an HTTP {@code Range} request, retrying interrupted transfers, verifying the size and (when
 * known) the SHA-256, and only then moving it to {@code target}. A corrupt download is deleted, never
 * moved into place.
 */
final class FileDownloader {
  private static final Logger LOG = LoggerFactory.getLogger(FileDownloader.class);
  static final String INCOMPLETE = ".incomplete";
  private static final int ATTEMPTS = 3;
  /** The most a file of unlisted size may be (listings give the size of every weight file). */
  private static final long UNLISTED_MAX_BYTES = 1L << 30;

  private final HubHttp http;
  private final Function<Integer, @Nullable String> statusMessage;
  private final Duration stallTimeout;

  /**
   * @param statusMessage the error message for an HTTP status (401, 403, 404 ...), or {@code null} for a
   *     generic one
   * @param stallTimeout a transfer that delivers no byte for this long is aborted and resumed
   */
  FileDownloader(HubHttp http, Function<Integer, @Nullable String> statusMessage, Duration stallTimeout) {
    this.http = http;
    this.statusMessage = statusMessage;
    this.stallTimeout = stallTimeout;
  }

  void download(URI url, RemoteFile file, Path target, DownloadProgress progress) {
    Path partial = target.resolveSibling(target.getFileName() + INCOMPLETE);
    try {
      if (Files.isRegularFile(partial)) {
        progress.alreadyHave(Files.size(partial));
      }
    } catch (IOException e) {
      throw new GemmaException("cannot read " + partial + ": " + e.getMessage(), e);
    }
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        transfer(url, file, partial, progress);
        verify(file, partial);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return;
      } catch (IOException e) {
        last = e;
        LOG.warn("download of {} interrupted (attempt {} of {}): {}; resuming", file.path(), attempt, ATTEMPTS, e.toString());
      }
    }
    throw new GemmaException(
        "the download of " + file.path() + " from " + url.getHost() + " failed " + ATTEMPTS + " times ("
            + last + "); what arrived is kept in " + partial + " and the next attempt resumes from it",
        last);
  }

  private void transfer(URI url, RemoteFile file, Path partial, DownloadProgress progress) throws IOException {
    long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
    if (file.size() >= 0 && have > file.size()) {
      Files.delete(partial);
      have = 0;
    }
    if (file.size() >= 0 && have == file.size()) {
      return;
    }
    Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
    HttpResponse<InputStream> response = http.send("GET", url, headers, HttpResponse.BodyHandlers.ofInputStream());
    int status = response.statusCode();
    try (InputStream body = response.body();
        StallWatchdog watchdog = new StallWatchdog(body, stallTimeout)) {
      if (status == 416 && have > 0) {
        return; // the server has nothing past what we hold: verification decides
      }
      if (status != 200 && status != 206) {
        String message = statusMessage.apply(status);
        throw new GemmaException(
            message != null ? message : "downloading " + file.path() + " from " + url + " failed with HTTP " + status);
      }
      boolean append = status == 206;
      if (!append && have > 0) {
        LOG.info("{}: the server ignored the range request; downloading from the start", file.path());
      }
      try (OutputStream out =
          Files.newOutputStream(
              partial,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] buffer = new byte[1 << 16];
        long limit = file.size() >= 0 ? file.size() : UNLISTED_MAX_BYTES;
        long written = append ? have : 0;
        int n;
        while ((n = watchdog.read(body, buffer)) >= 0) {
          written += n;
          if (written > limit) {
            Files.deleteIfExists(partial);
            throw new GemmaException("the server sent more than the " + limit + " bytes " + file.path() + (file.size() >= 0
                ? " has according to the listing" : " may have") + "; the download was stopped and deleted");
          }
          out.write(buffer, 0, n);
          progress.advance(n);
        }
      }
    }
  }

  private static void verify(RemoteFile file, Path partial) throws IOException {
    long size = Files.size(partial);
    if (file.size() >= 0 && size < file.size()) {
      throw new IOException("connection closed after " + size + " of " + file.size() + " bytes");
    }
    if (file.size() >= 0 && size != file.size()) {
      Files.deleteIfExists(partial);
      throw new GemmaException(
          "downloaded " + file.path() + " has " + size + " bytes but the repository lists " + file.size()
              + "; the file was deleted, run again to download it anew");
    }
    String expected = file.sha256();
    if (expected != null) {
      String actual = sha256(partial);
      if (!actual.equalsIgnoreCase(expected)) {
        Files.deleteIfExists(partial);
        throw new GemmaException(
            "downloaded " + file.path() + " is corrupt: its SHA-256 is " + actual + " but the repository"
                + " lists " + expected + "; the file was deleted, run again to download it anew");
      }
    }
  }

  /** The SHA-256 of {@code bytes} in lower-case hex. */
  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
