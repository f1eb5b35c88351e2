package dev.gemma4j.testkit;

import java.util.Locale;

/**
 * What {@link GoldenFile#verify} does with goldens, chosen by the system property
 * {@value #PROPERTY} or the environment variable {@value #ENV}.
 */
public enum GoldenMode {
  /** Compare; a missing golden is a failure (the default, for CI). */
  VERIFY,
  /** Compare existing goldens, record missing ones. */
  RECORD,
  /** Record every golden anew: for an intended change of model, SDK or backend. */
  REWRITE;

  /** System property choosing the mode: {@code verify}, {@code record} or {@code rewrite}. */
  public static final String PROPERTY = "gemma.testkit.goldens";

  /** Environment variable choosing the mode. */
  public static final String ENV = "GEMMA_TESTKIT_GOLDENS";

  /** The mode the property or environment asks for; {@link #VERIFY} when neither is set. */
  public static GoldenMode fromEnvironment() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      value = System.getenv(ENV);
    }
    if (value == null || value.isBlank()) {
      return VERIFY;
    }
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(PROPERTY + "=" + value + " is not a mode; use verify, record or rewrite", e);
    }
  }
}
