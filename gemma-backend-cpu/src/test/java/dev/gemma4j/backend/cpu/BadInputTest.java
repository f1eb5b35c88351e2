package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.TestFixtures;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad checkpoints and bad requests get clear exceptions; the JVM and the model stay usable. */
class BadInputTest {
  @TempDir Path dir;

  private Path copyOf(String fixture) throws IOException {
    return TestFixtures.copy(fixture, dir);
  }

  private static void edit(Path config, String from, String to) throws IOException {
    String text = Files.readString(config);
    assertTrue(text.contains(from), "fixture config lacks " + from);
    Files.writeString(config, text.replace(from, to));
  }

  private static String openFails(Path folder) {
    return assertThrows(ModelFormatException.class, () -> Gemma.open(folder, GenerationGoldenTest.cpu()).close()).getMessage();
  }

  @Test
  void aTensorOfTheWrongShapeIsNamed() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    edit(folder.resolve("config.json"), "\"intermediate_size\": 192", "\"intermediate_size\": 100");
    String message = openFails(folder);
    assertTrue(message.contains("model.layers.0.mlp.gate_proj.weight") && message.contains("[192, 64]"), message);
  }

  @Test
  void aMissingTensorIsNamed() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    edit(folder.resolve("config.json"), "\"num_hidden_layers\": 4", "\"num_hidden_layers\": 5");
    edit(folder.resolve("config.json"), "\"full_attention\"\n  ]", "\"full_attention\",\n    \"sliding_attention\"\n  ]");
    String message = openFails(folder);
    assertTrue(message.contains("lacks the tensor model.layers.4."), message);
  }

  @Test
  void anotherModelTypeIsRejected() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    edit(folder.resolve("config.json"), "\"model_type\": \"gemma2\"", "\"model_type\": \"gemma3\"");
    assertTrue(openFails(folder).contains("\"gemma3\""));
  }

  @Test
  void aCorruptHeaderIsRejected() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    Path weights = folder.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[20] = '#';
    Files.write(weights, bytes);
    assertTrue(openFails(folder).contains("corrupt safetensors file"));
  }

  @Test
  void aPromptLongerThanTheContextIsRejectedAndTheModelStaysUsable() {
    try (Gemma gemma = Gemma.open(Golden.fixture("tiny-gemma2"), GenerationGoldenTest.cpu())) {
      int[] tooLong = new int[300];
      tooLong[0] = 2;
      GemmaException e =
          assertThrows(GemmaException.class, () -> gemma.generate(Prompt.ids(tooLong), GenerationConfig.defaults()));
      assertTrue(e.getMessage().contains("300 tokens") && e.getMessage().contains("max_position_embeddings"), e.getMessage());
      GemmaException badId =
          assertThrows(GemmaException.class, () -> gemma.generate(Prompt.ids(2, 512), GenerationConfig.defaults()));
      assertTrue(badId.getMessage().contains("outside the vocabulary"), badId.getMessage());
      GemmaException noTokenizer =
          assertThrows(GemmaException.class, () -> gemma.generate("hello"));
      assertTrue(noTokenizer.getMessage().contains("no tokenizer.json"), noTokenizer.getMessage());
      assertTrue(gemma.generate(Prompt.ids(2, 81), GenerationConfig.builder().maxNewTokens(3).build()).tokenIds().size() == 3);
    }
  }

  @Test
  void anUnknownBackendIsNamed() {
    GemmaException e =
        assertThrows(
            GemmaException.class,
            () -> Gemma.open(Golden.fixture("tiny-gemma2"), dev.gemma4j.GemmaOptions.builder().backend("tpu").build()));
    assertTrue(e.getMessage().contains("unknown backend \"tpu\"") && e.getMessage().contains("cpu"), e.getMessage());
  }
}
