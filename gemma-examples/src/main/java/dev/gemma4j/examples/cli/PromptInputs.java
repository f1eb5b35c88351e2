package dev.gemma4j.examples.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Prompt;
import dev.gemma4j.internal.SafeFiles;
import dev.gemma4j.internal.StrictJson;
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
      int[] ids = Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
      if (Arrays.stream(ids).anyMatch(id -> id < 0)) {
        throw new NumberFormatException("negative");
      }
      return Prompt.ids(ids);
    } catch (NumberFormatException e) {
      throw new GemmaException("--prompt-ids " + csv + ": comma-separated token ids (integers from 0) such as 2,17,33");
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
    List<String> lines = SafeFiles.readText(file, 1L << 30, "prompts file", GemmaException::new).lines().toList();
    List<Prompt> prompts = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = file + " line " + (i + 1);
      String shape = "; each line is {\"ids\": [2, 17, ...]} or {\"text\": \"...\"}";
      JsonObject o = StrictJson.parseObject(line, where, m -> new GemmaException(m + shape));
      if (o.has("ids") && o.has("text")) {
        throw new GemmaException(where + " has both \"ids\" and \"text\"; give one of them" + shape);
      }
      if (o.has("ids")) {
        JsonElement array = o.get("ids");
        if (!array.isJsonArray()) {
          throw new GemmaException(where + ": \"ids\" must be a list of integers, found " + array + shape);
        }
        int[] ids = new int[array.getAsJsonArray().size()];
        int k = 0;
        for (JsonElement e : array.getAsJsonArray()) {
          if (!StrictJson.isInteger(e) || e.getAsLong() < 0 || e.getAsLong() > Integer.MAX_VALUE) {
            throw new GemmaException(where + ": \"ids\" holds " + e + "; token ids are integers from 0" + shape);
          }
          ids[k++] = e.getAsInt();
        }
        prompts.add(Prompt.ids(ids));
      } else if (o.has("text")) {
        JsonElement text = o.get("text");
        if (!text.isJsonPrimitive() || !text.getAsJsonPrimitive().isString()) {
          throw new GemmaException(where + ": \"text\" must be a string, found " + text + shape);
        }
        prompts.add(text(text.getAsString(), chat));
      } else {
        throw new GemmaException(where + " has neither \"ids\" nor \"text\"" + shape);
      }
    }
    if (prompts.isEmpty()) {
      throw new GemmaException(file + " holds no prompts");
    }
    return prompts;
  }
}
