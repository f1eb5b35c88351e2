package dev.gemma4j.examples.cli;

import dev.gemma4j.examples.bench.Figures;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.TopLogits;
import java.util.List;
import java.util.Locale;

/** The JSON line {@code gemma generate --json} prints per prompt. */
final class GenerationJson {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private GenerationJson() {}

  static String line(Generation g, boolean withSteps) {
    JsonObject o = new JsonObject();
    o.add("prompt_ids", ints(g.promptIds()));
    o.add("ids", ints(g.tokenIds()));
    o.addProperty("text", g.text());
    o.addProperty("finish_reason", g.finishReason().name().toLowerCase(Locale.ROOT));
    if (withSteps) {
      JsonArray steps = new JsonArray();
      for (TopLogits t : g.topLogits()) {
        JsonObject step = new JsonObject();
        step.add("top_ids", ints(t.ids()));
        JsonArray logits = new JsonArray();
        t.logits().forEach(logits::add);
        step.add("top_logits", logits);
        steps.add(step);
      }
      o.add("steps", steps);
    }
    o.add("stats", stats(g.stats()));
    return GSON.toJson(o);
  }

  static JsonObject stats(GenerationStats s) {
    JsonObject o = new JsonObject();
    o.addProperty("prompt_tokens", s.promptTokens());
    o.addProperty("generated_tokens", s.generatedTokens());
    o.addProperty("time_to_first_token_ms", Figures.round(s.timeToFirstToken().toNanos() / 1e6));
    o.addProperty("total_ms", Figures.round(s.totalTime().toNanos() / 1e6));
    o.addProperty("tokens_per_s", Figures.round(s.tokensPerSecond()));
    o.addProperty("ms_per_token", Figures.round(s.msPerToken()));
    o.addProperty("decode_ms_per_token", Figures.round(s.decodeMsPerToken()));
    o.addProperty("memory_after_load_bytes", s.memoryAfterLoadBytes());
    o.addProperty("peak_memory_bytes", s.peakMemoryBytes());
    o.addProperty("cached_prompt_tokens", s.cachedPromptTokens());
    return o;
  }

  private static JsonArray ints(List<Integer> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

}
