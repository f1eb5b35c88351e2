package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
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
  void fourBitQuantizationOfLayersNoGroupCoversIsRefusedWithTheWayOut() {
    // tiny-gemma2-tok's layers have 16 input features: no 4-bit group (32, 64 or 128) divides them.
    var int4 = GenerationGoldenTest.cpu().toBuilder().quantize(dev.gemma4j.WeightQuantization.INT4).build();
    String message = assertThrows(
        ModelFormatException.class, () -> Gemma.open(TestFixtures.path("tiny-gemma2-tok"), int4).close()).getMessage();
    assertTrue(message.contains("which 4-bit groups cannot cover") && message.contains("WeightQuantization.NONE"), message);
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
    edit(folder.resolve("config.json"), "\"model_type\": \"gemma2\"", "\"model_type\": \"mistral\"");
    String message = openFails(folder);
    assertTrue(message.contains("\"mistral\"") && message.contains("\"gemma3_text\""), message);
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

  private static int[] generatedIds(Gemma gemma, int[] prompt, GenerationConfig config) {
    return gemma.generate(Prompt.ids(prompt), config).tokenIds().stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void temperaturesThatUnderflowChooseTheGreedyIds() {
    Golden.Case c = Golden.load("tiny-gemma2").cases().getFirst();
    try (Gemma gemma = Gemma.open(Golden.fixture("tiny-gemma2"), GenerationGoldenTest.cpu())) {
      for (double t : new double[] {1e-30, 1e-40, 1e-46, Double.MIN_VALUE}) {
        GenerationConfig config =
            GenerationConfig.builder().temperature(t).seed(7).maxNewTokens(c.greedyNewIds().length).ignoreEos(true).build();
        org.junit.jupiter.api.Assertions.assertArrayEquals(
            c.greedyNewIds(), generatedIds(gemma, c.inputIds(), config), "temperature " + t);
      }
    }
  }

  /** Overwrites every element of {@code tensor} in the single-file checkpoint at {@code folder} with NaN. */
  private static void fillWithNaN(Path folder, String tensor) throws IOException {
    Path weights = folder.resolve("model.safetensors");
    dev.gemma4j.checkpoint.TensorInfo info;
    try (var file = dev.gemma4j.checkpoint.SafetensorsFile.open(weights)) {
      info = file.tensors().get(tensor);
    }
    byte[] nan = new byte[(int) info.byteLength()];
    for (int i = 0; i < nan.length; i += 2) {
      nan[i] = (byte) 0xC0; // bfloat16 quiet NaN 0x7FC0, little-endian
      nan[i + 1] = 0x7F;
    }
    try (var channel = java.nio.channels.FileChannel.open(weights, java.nio.file.StandardOpenOption.WRITE)) {
      channel.write(java.nio.ByteBuffer.wrap(nan), info.fileOffset());
    }
  }

  @Test
  void nanWeightsFailTheRequestNamingTheLikelyCauseNeverTokenZero() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    fillWithNaN(folder, "model.norm.weight");
    try (Gemma gemma = Gemma.open(folder, GenerationGoldenTest.cpu())) {
      for (GenerationConfig config : new GenerationConfig[] {
          GenerationConfig.builder().maxNewTokens(3).build(),
          GenerationConfig.builder().maxNewTokens(3).temperature(0.8).seed(1).build()}) {
        GemmaException e = assertThrows(GemmaException.class, () -> generatedIds(gemma, new int[] {2, 81}, config));
        assertTrue(e.getMessage().contains("NaN or infinite logits") && e.getMessage().contains("weights"), e.getMessage());
      }
    }
  }

  @Test
  @org.junit.jupiter.api.condition.EnabledOnOs(org.junit.jupiter.api.condition.OS.LINUX)
  void aFifoUnderTheTokenizerNameIsRefusedForWhatItIsNotTakenForMissing() throws Exception {
    Path folder = copyOf("tiny-gemma2-tok");
    Path tokenizer = folder.resolve("tokenizer.json");
    Files.delete(tokenizer);
    Process mkfifo = new ProcessBuilder("mkfifo", tokenizer.toString()).inheritIO().start();
    org.junit.jupiter.api.Assertions.assertEquals(0, mkfifo.waitFor(), "mkfifo ships with every Linux");
    String message = openFails(folder);
    assertTrue(message.contains("tokenizer.json") && message.contains("not a regular file"), message);
  }

  @Test
  void quantizingNanWeightsAtLoadIsRefusedNamingTheTensor() throws IOException {
    Path folder = copyOf("tiny-gemma2-bf16");
    String tensor = "model.layers.1.mlp.down_proj.weight";
    fillWithNaN(folder, tensor);
    for (var quantization : new dev.gemma4j.WeightQuantization[] {
        dev.gemma4j.WeightQuantization.INT8, dev.gemma4j.WeightQuantization.INT4}) {
      var options = GenerationGoldenTest.cpu().toBuilder().quantize(quantization).build();
      String message = assertThrows(ModelFormatException.class, () -> Gemma.open(folder, options).close()).getMessage();
      assertTrue(message.contains(tensor) && message.contains("NaN") && message.contains(", column 0;"),
          quantization + ": " + message);
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(120)
  void aCheckpointTruncatedWhileLoadedFailsTheRequestNamingTheFile() throws IOException {
    Path folder = copyOf("tiny-gemma2");
    Golden.Case c = Golden.load("tiny-gemma2").cases().getFirst();
    try (Gemma gemma = Gemma.open(folder, GenerationGoldenTest.cpu())) {
      GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedyNewIds().length).ignoreEos(true).build();
      org.junit.jupiter.api.Assertions.assertArrayEquals(c.greedyNewIds(), generatedIds(gemma, c.inputIds(), config));
      for (String shard : new String[] {"model-00001-of-00005.safetensors", "model-00003-of-00005.safetensors"}) {
        try (var channel = java.nio.channels.FileChannel.open(folder.resolve(shard), java.nio.file.StandardOpenOption.WRITE)) {
          channel.truncate(100);
        }
      }
      GemmaException e = assertThrows(GemmaException.class, () -> generatedIds(gemma, c.inputIds(), config));
      assertTrue(e.getMessage().contains("was truncated or rewritten") && e.getMessage().contains("model-0000"), e.getMessage());
    }
  }

  @Test
  void awqLayoutsThatDoNotFitTheConfigAreNamed() throws IOException {
    Path regrouped = copyOf("tiny-gemma2-awq");
    edit(regrouped.resolve("config.json"), "\"group_size\": 64", "\"group_size\": 32");
    String message = openFails(regrouped);
    assertTrue(message.contains("qzeros") && message.contains("shape"), message);

    Path unquantized = dir.resolve("unquantized");
    Files.createDirectories(unquantized);
    for (String file : new String[] {"config.json", "model.safetensors"}) {
      Files.copy(TestFixtures.path("tiny-gemma2-awq").resolve(file), unquantized.resolve(file));
    }
    String config = Files.readString(unquantized.resolve("config.json"));
    Files.writeString(unquantized.resolve("config.json"), config.substring(0, config.indexOf(",\n  \"quantization_config\"")) + "\n}");
    String missing = openFails(unquantized);
    assertTrue(missing.contains("lacks the tensor") && missing.contains("q_proj.weight"), missing);
  }
}
