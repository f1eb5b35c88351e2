package dev.gemma4j.backend.cpu;

import dev.gemma4j.testing.TestFixtures;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A fixture's {@code golden.json}: what HF transformers computed for it. */
record Golden(Path folder, List<Case> cases) {
  /** Every fixture with reference goldens: the HF ones and the NumPy-port shapes. */
  static final List<String> FIXTURES =
      List.of("tiny-gemma2", "tiny-gemma2-bf16", "tiny-gemma2-tok", "tiny-gemma2-awq", "shape-gqa3-hd24",
          "shape-mha-hd32-bf16", "tiny-gemma3", "shape-gemma3-mm-bf16", "tiny-gemma3-tok");

  /** Top-k ids and logits of one generation step. */
  record Step(int[] ids, float[] logits) {}

  /** One prompt's goldens. */
  record Case(
      int[] inputIds,
      float[] prefillLastLogits,
      int[] prefillArgmax,
      int[] greedyNewIds,
      List<Step> steps,
      int[] fullSequenceArgmax,
      float[] fullSequenceLastLogits,
      String prompt,
      String generatedText) {}

  static Path fixture(String name) {
    return TestFixtures.path(name);
  }

  static Golden load(String name) {
    Path folder = fixture(name);
    try {
      JsonObject root = JsonParser.parseString(Files.readString(folder.resolve("golden.json"))).getAsJsonObject();
      List<Case> cases = new ArrayList<>();
      for (JsonElement e : root.getAsJsonArray("cases")) {
        JsonObject c = e.getAsJsonObject();
        List<Step> steps = new ArrayList<>();
        for (JsonElement s : c.getAsJsonArray("greedy_steps_top5")) {
          steps.add(new Step(ints(s.getAsJsonObject().getAsJsonArray("top_ids")),
              floats(s.getAsJsonObject().getAsJsonArray("top_logits"))));
        }
        cases.add(new Case(
            ints(c.getAsJsonArray("input_ids")),
            floats(c.getAsJsonArray("prefill_last_logits")),
            ints(c.getAsJsonArray("prefill_argmax")),
            ints(c.getAsJsonArray("greedy_new_ids")),
            steps,
            ints(c.getAsJsonArray("full_sequence_argmax")),
            floats(c.getAsJsonArray("full_sequence_last_logits")),
            c.has("prompt") ? c.get("prompt").getAsString() : "",
            c.has("generated_text") ? c.get("generated_text").getAsString() : ""));
      }
      return new Golden(folder, cases);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int[] ints(JsonArray a) {
    if (a == null) {
      return new int[0];
    }
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsInt();
    }
    return out;
  }

  static float[] floats(JsonArray a) {
    if (a == null) {
      return new float[0];
    }
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsFloat();
    }
    return out;
  }
}
