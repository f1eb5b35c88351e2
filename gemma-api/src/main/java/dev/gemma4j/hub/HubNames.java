package dev.gemma4j.hub;

import dev.gemma4j.GemmaException;
import dev.gemma4j.internal.SafeFiles;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What a hub says that becomes a name on this machine, checked before it does: a commit becomes the
 * snapshot folder, an ETag the blob's name, a listed file name a path inside the snapshot. A server that
 * lies (or anything posing as {@code HF_ENDPOINT}) can then not write or link outside the cache.
 */
final class HubNames {
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

  private HubNames() {}

  static boolean isCommit(String text) {
    return COMMIT.matcher(text).matches();
  }

  /** A commit the hub sent: 40 lower-case hex characters. */
  static String commit(String text, String from) {
    if (!isCommit(text)) {
      throw new GemmaException(from + " gave \"" + abbreviate(text) + "\" as the commit; a commit is 40 hexadecimal"
          + " characters, so the listing is not trusted and nothing was written");
    }
    return text;
  }

  /** An ETag the hub sent for a file (quotes and weak marker removed): a SHA-1 or SHA-256 in hex. */
  static String blobName(String etag, String from) {
    String digest = etag.replace("W/", "").replace("\"", "").toLowerCase(java.util.Locale.ROOT);
    if (!DIGEST.matcher(digest).matches()) {
      throw new GemmaException(from + " gave the ETag \"" + abbreviate(etag) + "\"; a blob is named after a SHA-1 or"
          + " SHA-256 digest in hex, so this one is not used as a file name and nothing was written");
    }
    return digest;
  }

  /**
   * A file name from a listing: a relative path without {@code ..} or {@code .} parts, so that it
   * stays inside whatever folder it is resolved against.
   */
  static String fileName(String name, String from) {
    if (!SafeFiles.staysInside(Path.of("snapshot"), name)) {
      throw new GemmaException(from + " lists the file \"" + abbreviate(name) + "\", which would lie outside the"
          + " model's folder; the listing is not trusted and nothing was written");
    }
    return name;
  }

  private static String abbreviate(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "..." : text;
  }
}
