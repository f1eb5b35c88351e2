package dev.gemma4j.examples.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Prompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads prompts from the command line: text, comma-separated ids, or a JSON Lines file. */
final class PromptInputs {
  private PromptInputs() {}

  /** {@code 2,17,33} as token ids. */
  static Prompt ids(String csv) {
    try {
      return Prompt.ids(
          Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray());
    } catch (NumberFormatException e) {
      throw new GemmaException("--prompt-ids takes comma-separated integers such as 2,17,33; got \"" + csv + "\"");
    }
  }

  /** Text as a plain or chat prompt. */
  static Prompt text(String text, boolean chat) {
    return chat ? Prompt.chat(text) : Prompt.text(text);
  }

  /**
   * One prompt per line of a JSON Lines file: {@code {"ids": [...]}} or {@code {"text": "..."}}; blank
   * lines are skipped.
   */
  static List<Prompt> file(Path file, boolean chat) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new GemmaException("cannot read the prompts file " + file + ": " + e.getMessage(), e);
    }
    List<Prompt> prompts = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = file + " line " + (i + 1);
      try {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        if (o.has("ids")) {
          int[] ids = new int[o.getAsJsonArray("ids").size()];
          int k = 0;
          for (JsonElement e : o.getAsJsonArray("ids")) {
            ids[k++] = e.getAsInt();
          }
          prompts.add(Prompt.ids(ids));
        } else if (o.has("text")) {
          prompts.add(text(o.get("text").getAsString(), chat));
        } else {
          throw new GemmaException(where + " has neither \"ids\" nor \"text\"");
        }
      } catch (JsonParseException | IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
        throw new GemmaException(
            where + " is not a JSON object such as {\"ids\": [2, 17]} or {\"text\": \"...\"}: " + e.getMessage());
      }
    }
    if (prompts.isEmpty()) {
      throw new GemmaException(file + " holds no prompts");
    }
    return prompts;
  }
}
