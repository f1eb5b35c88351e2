package dev.gemma4j.examples.bench;

import java.util.Locale;

/** How the command-line programs write numbers: three decimals in JSON, readable byte sizes in text. */
public final class Figures {
  private Figures() {}

  /** {@code value} rounded to three decimals, for JSON output. */
  public static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }

  /** Bytes in MiB, or GiB from 1 GiB on. */
  public static String bytes(long bytes) {
    return bytes >= 1L << 30
        ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
  }
}
