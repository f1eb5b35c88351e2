package dev.gemma4j.testkit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.check.DeploymentCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Sets of golden prompts: the built-in one and user-defined ones from files. */
public final class GoldenPrompts {
  /** Tokens a built-in golden pins. */
  public static final int DEFAULT_NEW_TOKENS = 32;

  private static final List<String> IDS =
      List.of("capital-of-france", "explain-ai", "fibonacci-python", "overfitting", "deep-learning");

  private GoldenPrompts() {}

  /**
   * The seed article's four prompts and its benchmark prompt, each plain ({@code capital-of-france}) and
   * in the chat template ({@code capital-of-france-chat}), {@value #DEFAULT_NEW_TOKENS} tokens each.
   */
  public static List<GoldenPrompt> builtIn() {
    List<String> texts = new ArrayList<>(DeploymentCheck.PROMPTS);
    texts.add(DeploymentCheck.BENCHMARK_PROMPT);
    List<GoldenPrompt> prompts = new ArrayList<>();
    for (boolean chat : new boolean[] {false, true}) {
      for (int i = 0; i < texts.size(); i++) {
        prompts.add(new GoldenPrompt(IDS.get(i) + (chat ? "-chat" : ""), texts.get(i), chat, DEFAULT_NEW_TOKENS));
      }
    }
    return prompts;
  }

  /**
   * Prompts from a JSON file: an array of {@code {"id": ..., "text": ..., "chat": false,
   * "max_new_tokens": 32}} ({@code chat} and {@code max_new_tokens} optional).
   *
   * @throws IllegalArgumentException naming the file and the entry when it is malformed
   */
  public static List<GoldenPrompt> fromFile(Path file) {
    JsonArray array;
    try {
      array = JsonParser.parseString(Files.readString(file)).getAsJsonArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read golden prompts " + file, e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " is not a JSON array of golden prompts: " + e.getMessage(), e);
    }
    List<GoldenPrompt> prompts = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      try {
        JsonObject o = array.get(i).getAsJsonObject();
        JsonElement chat = o.get("chat");
        JsonElement max = o.get("max_new_tokens");
        GoldenPrompt p =
            new GoldenPrompt(
                o.get("id").getAsString(),
                o.get("text").getAsString(),
                chat != null && chat.getAsBoolean(),
                max != null ? max.getAsInt() : DEFAULT_NEW_TOKENS);
        if (!ids.add(p.id())) {
          throw new IllegalArgumentException("the id \"" + p.id() + "\" appears twice");
        }
        prompts.add(p);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(file + ", entry " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return prompts;
  }
}
