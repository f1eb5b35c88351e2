package dev.gemma4j.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Hugging Face transformers generated on the bundled tiny model (the fixture's {@code golden.json}):
 * 20 greedy tokens for a plain prompt and for the same prompt in the chat template.
 */
record ReferenceGoldens(String prompt, String completionText, int completionPromptTokens, String chatText, int chatPromptTokens) {

  static ReferenceGoldens load() {
    Path file = Path.of(System.getProperty("gemma.fixtures"), "tiny-gemma2-tok", "golden.json");
    try {
      JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
      var cases = json.getAsJsonArray("cases");
      JsonObject plain = cases.get(0).getAsJsonObject();
      String prompt = plain.get("prompt").getAsString();
      String chatPrompt = "<start_of_turn>user\n" + prompt + "<end_of_turn>\n<start_of_turn>model\n";
      for (var c : cases) {
        JsonObject chat = c.getAsJsonObject();
        if (chat.get("prompt").getAsString().equals(chatPrompt)) {
          return new ReferenceGoldens(
              prompt,
              plain.get("generated_text").getAsString(),
              plain.getAsJsonArray("input_ids").size(),
              chat.get("generated_text").getAsString(),
              chat.getAsJsonArray("input_ids").size());
        }
      }
      throw new IllegalStateException(file + " has no chat case for '" + prompt + "'");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
  }
}
