package dev.gemma4j.server.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;

/**
 * The server's API key. A presented key is compared in constant time: both are hashed first, so neither
 * the contents nor the length of the key leaks through timing.
 */
public final class ApiKey {
  private final byte @Nullable [] expectedDigest;

  /** @param key the key clients must present, or {@code null} to let every request in */
  public ApiKey(@Nullable String key) {
    this.expectedDigest = key == null ? null : digest(key);
  }

  /** Whether a request with this {@code Authorization} header may pass. */
  public boolean allows(@Nullable String authorization) {
    if (expectedDigest == null) {
      return true;
    }
    String presented = "";
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      presented = authorization.substring(7).trim();
    }
    return MessageDigest.isEqual(expectedDigest, digest(presented));
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
