package dev.gemma4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.TestFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

  private static ModelConfig real(String name) {
    return ModelConfig.load(TestFixtures.path("real-configs").resolve(name + ".config.json"));
  }

  @Test
  void readsPublishedConfigsInTheOldFormat() {
    ModelConfig b2 = real("gemma-2-2b-it");
    assertEquals(26, b2.numLayers());
    assertEquals(2304, b2.hiddenSize());
    assertEquals(8, b2.numHeads());
    assertEquals(4, b2.numKvHeads());
    assertEquals(256, b2.headDim());
    assertEquals(256, b2.queryPreAttnScalar());
    assertEquals(10000.0, b2.ropeTheta());
    assertEquals(50.0, b2.attnSoftcap());
    assertEquals(30.0, b2.finalSoftcap());
    assertEquals(4096, b2.slidingWindow());
    assertEquals(List.of(1, 107), b2.eosIds());
    assertEquals("bfloat16", b2.storedDtype());
    // No layer_types in the old format: even layers slide.
    assertEquals(LayerType.SLIDING, b2.layerType(0));
    assertEquals(LayerType.FULL, b2.layerType(1));
    assertEquals(LayerType.SLIDING, b2.layerType(24));

    ModelConfig b27 = real("gemma-2-27b-it");
    assertEquals(144, b27.queryPreAttnScalar());
    assertEquals(128, b27.headDim());
    assertTrue(b27.headDim() != b27.hiddenSize() / b27.numHeads(), "27B: head_dim is not hidden / heads");
    assertEquals(2, b27.queriesPerKvHead());
    assertEquals(1.0 / 12.0, b27.attentionScale(), 1e-12);

    ModelConfig b9 = real("gemma-2-9b-it");
    assertEquals(42, b9.numLayers());
    // 2 · 8 heads · 256 · 2 bytes · 42 layers ≈ 344 KB per token (DESIGN.md)
    assertEquals(344_064, b9.kvBytesPerToken(2));
    assertTrue(Math.abs(b9.parameterCount() / 1e9 - 9.24) < 0.05, () -> "9B has " + b9.parameterCount());
  }

  @Test
  void readsTheNewFormat() {
    ModelConfig tiny = ModelConfig.load(TestFixtures.path("tiny-gemma2").resolve("config.json"));
    assertEquals(24, tiny.queryPreAttnScalar());
    assertEquals(8, tiny.slidingWindow());
    assertEquals(10.0, tiny.attnSoftcap());
    assertEquals(5.0, tiny.finalSoftcap());
    assertEquals(10000.0, tiny.ropeTheta());
    assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING, LayerType.FULL), tiny.layerTypes());
    assertEquals("float32", tiny.storedDtype());
  }

  @Test
  void readsGenerationConfig() {
    Path folder = TestFixtures.path("real-configs");
    GenerationDefaults d = GenerationDefaults.load(folder.resolve("none"), real("gemma-2-2b-it"));
    assertEquals(List.of(1, 107), d.eosIds());
    GenerationDefaults tiny =
        GenerationDefaults.load(TestFixtures.path("tiny-gemma2"), ModelConfig.load(TestFixtures.path("tiny-gemma2").resolve("config.json")));
    assertEquals(List.of(1), tiny.eosIds());
  }

  @Test
  void rejectsOtherModelTypes() {
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> ModelConfig.parse("{\"model_type\": \"llama\"}", "x/config.json"));
    assertTrue(e.getMessage().contains("\"llama\"") && e.getMessage().contains("gemma2"), e.getMessage());
  }

  @Test
  void namesTheMissingKey() {
    ModelFormatException e =
        assertThrows(
            ModelFormatException.class,
            () -> ModelConfig.parse("{\"model_type\": \"gemma2\", \"vocab_size\": 10}", "x/config.json"));
    assertTrue(e.getMessage().contains("hidden_size") && e.getMessage().contains("x/config.json"), e.getMessage());
  }

  @Test
  void rejectsInconsistentValues() {
    String base =
        "{\"model_type\":\"gemma2\",\"vocab_size\":10,\"hidden_size\":8,\"intermediate_size\":16,"
            + "\"num_hidden_layers\":2,\"num_attention_heads\":3,\"num_key_value_heads\":2,\"head_dim\":4}";
    assertTrue(assertThrows(ModelFormatException.class, () -> ModelConfig.parse(base, "c"))
        .getMessage().contains("multiple of num_key_value_heads"));
    String layerTypes = base.replace("\"num_attention_heads\":3", "\"num_attention_heads\":4")
        .replace("}", ",\"layer_types\":[\"full_attention\"]}");
    assertTrue(assertThrows(ModelFormatException.class, () -> ModelConfig.parse(layerTypes, "c"))
        .getMessage().contains("layer_types has 1 entries"));
    String activation = base.replace("\"num_attention_heads\":3", "\"num_attention_heads\":4")
        .replace("}", ",\"hidden_activation\":\"relu\"}");
    assertTrue(assertThrows(ModelFormatException.class, () -> ModelConfig.parse(activation, "c"))
        .getMessage().contains("relu"));
    assertTrue(assertThrows(ModelFormatException.class, () -> ModelConfig.parse("[1]", "c"))
        .getMessage().contains("not a JSON object"));
    assertTrue(assertThrows(ModelFormatException.class, () -> ModelConfig.parse("{oops", "c"))
        .getMessage().contains("not valid JSON"));
  }

  @Test
  void namesAMissingFile(@TempDir Path dir) {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.load(dir.resolve("config.json")));
    assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("does not exist"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("config.json")));
  }
}
