package dev.gemma4j.testkit;

import dev.gemma4j.GemmaException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The model that ships inside this jar: {@code tiny-gemma2-tok}, a 2-layer Gemma 2 with random bf16
 * weights and the real 256000-token Gemma tokenizer (19 MB). Its text is gibberish, but it is exactly the
 * text the reference implementation produces, so it serves demos and tests on machines without a real
 * checkpoint or a network.
 */
public final class BundledModel {
  /** The bundled model's name. */
  public static final String NAME = "tiny-gemma2-tok";

  private static final String RESOURCES = "/dev/gemma4j/testkit/bundled/" + NAME + "/";
  private static final List<String> FILES =
      List.of("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors");

  private BundledModel() {}

  /**
   * The bundled model as a checkpoint folder, extracted once into {@code java.io.tmpdir}
   * ({@code gemma4j-bundled/<fingerprint>/tiny-gemma2-tok}); the extraction goes to a temporary folder
   * that is moved into place when complete.
   */
  public static synchronized Path path() {
    Path root = Path.of(System.getProperty("java.io.tmpdir"), "gemma4j-bundled", fingerprint());
    Path target = root.resolve(NAME);
    if (Files.isRegularFile(target.resolve("model.safetensors"))) {
      return target;
    }
    try {
      Files.createDirectories(root);
      Path temp = Files.createTempDirectory(root, NAME + ".incomplete-");
      for (String file : FILES) {
        try (InputStream in = resource(file)) {
          Files.copy(in, temp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        if (!Files.isRegularFile(target.resolve("model.safetensors"))) {
          throw raced;
        }
      }
      return target;
    } catch (IOException e) {
      throw new GemmaException("cannot extract the bundled model to " + target + ": " + e.getMessage(), e);
    }
  }

  private static InputStream resource(String file) {
    InputStream in = BundledModel.class.getResourceAsStream(RESOURCES + file);
    if (in == null) {
      throw new GemmaException(
          "the bundled model file " + file + " is missing from the gemma-testkit jar; rebuild it with mvn package");
    }
    return in;
  }

  /** Tells versions of the bundle apart without hashing 19 MB: the sizes of its files. */
  private static String fingerprint() {
    long sum = 0;
    for (String file : FILES) {
      URL url = BundledModel.class.getResource(RESOURCES + file);
      if (url == null) {
        resource(file); // throws the missing-file message
      }
      try {
        sum = sum * 31 + url.openConnection().getContentLengthLong();
      } catch (IOException e) {
        throw new GemmaException("cannot read the bundled model: " + e.getMessage(), e);
      }
    }
    return Long.toHexString(sum);
  }
}
