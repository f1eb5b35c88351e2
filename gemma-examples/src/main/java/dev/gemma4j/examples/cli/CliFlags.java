package dev.gemma4j.examples.cli;

import java.util.Map;

/**
 * The library speaks of its API ({@code EngineOptions.kvCacheTokens}); a person at the command line needs the
 * flag. This adds the {@code gemma} flag after each API name a message mentions.
 */
final class CliFlags {
  private static final Map<String, String> FLAGS = Map.of(
      "EngineOptions.kvCacheTokens", "--kv-cache-tokens",
      "EngineOptions.queueCapacity", "--queue-capacity",
      "GemmaOptions.backend(\"npu\")", "--backend npu",
      "GemmaOptions.backend(\"cpu\")", "--backend cpu",
      "GemmaOptions.threads", "--threads",
      "GemmaOptions.revision", "--revision",
      "GemmaOptions.offline", "--offline");

  private CliFlags() {}

  /** {@code message} with {@code (gemma: --flag)} after the first mention of each API name that has one. */
  static String annotate(String message) {
    String out = message;
    for (Map.Entry<String, String> e : FLAGS.entrySet()) {
      int at = out.indexOf(e.getKey());
      if (at >= 0) {
        int end = at + e.getKey().length();
        out = out.substring(0, end) + " (gemma: " + e.getValue() + ")" + out.substring(end);
      }
    }
    return out;
  }
}
