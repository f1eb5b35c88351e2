package dev.gemma4j.hub;

import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns what the user wrote ({@code google/gemma-2-9b-it} or a folder) into a checkpoint folder.
 */
public final class ModelResolver {
  private final GemmaOptions options;

  private ModelResolver(GemmaOptions options) {
    this.options = options;
  }

  /** A resolver configured from the options and the environment. */
  public static ModelResolver fromEnvironment(GemmaOptions options) {
    return new ModelResolver(options);
  }

  /**
   * The checkpoint folder for a model id or folder path.
   *
   * @throws GemmaException when it cannot be found
   */
  public Path resolve(String model) {
    Path local = Path.of(model);
    if (Files.isDirectory(local)) {
      return local;
    }
    throw new GemmaException(
        "model \"" + model + "\" is not a folder; pass a Hugging Face checkpoint folder"
            + " (config.json + *.safetensors). Revision asked: " + options.revision());
  }
}
