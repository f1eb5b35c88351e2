package dev.gemma4j;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of gemma4j on the class path. */
public final class GemmaVersion {
  private static final String VERSION = load();

  private GemmaVersion() {}

  /** The version, e.g. {@code 0.2.0}; {@code unknown} when the build did not stamp it. */
  public static String current() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = GemmaVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
