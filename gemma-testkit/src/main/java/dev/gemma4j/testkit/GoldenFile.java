package dev.gemma4j.testkit;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaVersion;
import dev.gemma4j.Generation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.IntFunction;
import org.opentest4j.AssertionFailedError;

/**
 * Golden outputs of one model on one backend, in one JSON file: for each golden prompt, the greedy ids
 * and text. {@link #verify} generates every prompt and compares; a difference fails with the first
 * differing token and both texts. The file records the model's revision and the SDK version, so a golden
 * made with other weights or another SDK is reported as stale rather than as a plain mismatch.
 *
 * <p>Default location: {@code src/test/resources/gemma-goldens/<model>/<backend>.json} (the folder can be
 * moved with the system property {@value #DIR_PROPERTY}); see {@link GoldenMode} for recording.
 */
public final class GoldenFile {
  /** System property giving the goldens folder. */
  public static final String DIR_PROPERTY = "gemma.testkit.goldens.dir";

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  private final Path file;
  private final String model;
  private final String revision;
  private final String backend;
  private final GoldenRunner runner;
  private final IntFunction<String> pieces;

  /**
   * A golden file with explicit parts, for tests and custom runners.
   *
   * @param pieces spells a token id for diff messages
   */
  public GoldenFile(
      Path file, String model, String revision, String backend, GoldenRunner runner, IntFunction<String> pieces) {
    this.file = file;
    this.model = model;
    this.revision = revision;
    this.backend = backend;
    this.runner = runner;
    this.pieces = pieces;
  }

  /** The golden file of an open model in the default folder. */
  public static GoldenFile forModel(Gemma gemma) {
    return forModel(gemma, Path.of(System.getProperty(DIR_PROPERTY, "src/test/resources/gemma-goldens")));
  }

  /** The golden file of an open model in {@code folder}: {@code <folder>/<model>/<backend>.json}. */
  public static GoldenFile forModel(Gemma gemma, Path folder) {
    String model = modelName(gemma.folder());
    return new GoldenFile(
        folder.resolve(model).resolve(gemma.backendName() + ".json"),
        model,
        gemma.revision(),
        gemma.backendName(),
        GoldenRunner.of(gemma),
        id -> gemma.tokenizer().map(t -> t.piece(id)).orElse(""));
  }

  /** A name for a checkpoint folder: the repository of a cache snapshot, else the folder's name. */
  static String modelName(Path folder) {
    Path f = folder.toAbsolutePath().normalize();
    if (f.getParent() != null && f.getParent().getFileName() != null
        && f.getParent().getFileName().toString().equals("snapshots") && f.getParent().getParent() != null) {
      return f.getParent().getParent().getFileName().toString().replaceFirst("^models--", "");
    }
    return String.valueOf(f.getFileName()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
  }

  /** The file. */
  public Path path() {
    return file;
  }

  /** Verifies (or records) in the mode the property or environment asks for. */
  public void verify(List<GoldenPrompt> prompts) {
    verify(prompts, GoldenMode.fromEnvironment());
  }

  /**
   * Generates every prompt and compares it with its golden.
   *
   * @throws AssertionFailedError listing every difference, missing golden or stale record
   */
  public void verify(List<GoldenPrompt> prompts, GoldenMode mode) {
    JsonObject root = load();
    JsonObject records = root.getAsJsonObject("prompts");
    String recordedSdk = string(root, "sdk_version");
    String recordedRevision = string(root, "revision");
    boolean stale = !records.isEmpty() && (!Objects.equals(recordedSdk, GemmaVersion.current()) || !Objects.equals(recordedRevision, revision));
    List<String> failures = new ArrayList<>();
    boolean changed = false;
    for (GoldenPrompt prompt : prompts) {
      Generation actual = runner.run(prompt);
      JsonObject record = records.has(prompt.id()) ? records.getAsJsonObject(prompt.id()) : null;
      boolean samePrompt = record != null && prompt.text().equals(string(record, "prompt")) && prompt.chat() == record.get("chat").getAsBoolean()
          && prompt.maxNewTokens() == record.get("max_new_tokens").getAsInt();
      if (mode == GoldenMode.REWRITE || (record == null && mode == GoldenMode.RECORD)) {
        records.add(prompt.id(), record(prompt, actual));
        changed = true;
      } else if (record == null) {
        failures.add("no golden for \"" + prompt.id() + "\" in " + file + "; record it with -D" + GoldenMode.PROPERTY + "=record");
      } else if (!samePrompt) {
        failures.add("the golden of \"" + prompt.id() + "\" was recorded for another prompt or length; re-record it with -D"
            + GoldenMode.PROPERTY + "=rewrite");
      } else {
        String diff = diff(prompt, ids(record.getAsJsonArray("ids")), record.get("text").getAsString(), actual);
        if (diff != null) {
          failures.add(diff);
        }
      }
    }
    if (changed) {
      root.addProperty("sdk_version", GemmaVersion.current());
      root.addProperty("model", model);
      root.addProperty("revision", revision);
      root.addProperty("backend", backend);
      save(root);
    }
    if (!failures.isEmpty()) {
      StringBuilder message = new StringBuilder(failures.size() + " golden prompt(s) of " + model + " on " + backend + " failed:\n");
      failures.forEach(f -> message.append("- ").append(f).append('\n'));
      if (stale) {
        message.append("The goldens are stale: recorded with gemma4j ").append(recordedSdk).append(" and model revision ")
            .append(recordedRevision).append(", running gemma4j ").append(GemmaVersion.current()).append(" and revision ")
            .append(revision).append(". If the change is intended, re-record with -D").append(GoldenMode.PROPERTY).append("=rewrite.\n");
      } else {
        message.append("Same SDK version and model revision as the goldens: this is a regression unless the change is"
            + " intended (then re-record with -D").append(GoldenMode.PROPERTY).append("=rewrite).\n");
      }
      throw new AssertionFailedError(message.toString());
    }
  }

  private String diff(GoldenPrompt prompt, int[] expected, String expectedText, Generation actual) {
    List<Integer> got = actual.tokenIds();
    int n = Math.max(expected.length, got.size());
    for (int i = 0; i < n; i++) {
      Integer e = i < expected.length ? expected[i] : null;
      Integer a = i < got.size() ? got.get(i) : null;
      if (!Objects.equals(e, a)) {
        return String.format(
            Locale.ROOT,
            "\"%s\": first difference at generated token %d: expected %s, got %s%n    expected text: %s%n    actual text:   %s",
            prompt.id(), i, token(e), token(a), quote(expectedText), quote(actual.text()));
      }
    }
    return null;
  }

  private String token(Integer id) {
    return id == null ? "the end" : id + " (" + quote(pieces.apply(id)) + ")";
  }

  private static String quote(String s) {
    return GSON.toJson(s);
  }

  private static JsonObject record(GoldenPrompt prompt, Generation g) {
    JsonObject r = new JsonObject();
    r.addProperty("prompt", prompt.text());
    r.addProperty("chat", prompt.chat());
    r.addProperty("max_new_tokens", prompt.maxNewTokens());
    JsonArray ids = new JsonArray();
    g.tokenIds().forEach(ids::add);
    r.add("ids", ids);
    r.addProperty("text", g.text());
    return r;
  }

  private JsonObject load() {
    if (!Files.isRegularFile(file)) {
      JsonObject root = new JsonObject();
      root.add("prompts", new JsonObject());
      return root;
    }
    try {
      JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
      if (!root.has("prompts")) {
        root.add("prompts", new JsonObject());
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the golden file " + file, e);
    } catch (RuntimeException e) {
      throw new AssertionFailedError("the golden file " + file + " is not valid JSON (" + e.getMessage() + ")");
    }
  }

  private void save(JsonObject root) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".incomplete");
      Files.writeString(temp, GSON.toJson(root) + "\n");
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the golden file " + file, e);
    }
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  private static int[] ids(JsonArray a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsInt();
    }
    return out;
  }
}
