package dev.gemma4j.internal;

import java.util.Locale;

/** Byte counts in words for messages and logs: {@code 512 B}, {@code 3.4 GiB}. Internal, not API. */
public final class ByteSizes {
  private ByteSizes() {}

  /** {@code n} bytes in B, KiB, MiB, GiB or TiB with one decimal. */
  public static String format(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
