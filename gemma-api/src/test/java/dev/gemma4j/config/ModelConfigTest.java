package dev.gemma4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

  @Test
  void readsPublishedConfigsInTheOldFormat() {
    ModelConfig b2 = TestFixtures.realConfig("gemma-2-2b-it");
    assertEquals(26, b2.numLayers());
    assertEquals(2304, b2.hiddenSize());
    assertEquals(8, b2.numHeads());
    assertEquals(4, b2.numKvHeads());
    assertEquals(256, b2.headDim());
    assertEquals(256, b2.queryPreAttnScalar());
    assertEquals(10000.0, b2.globalRope().theta());
    assertEquals(50.0, b2.attnSoftcap());
    assertEquals(30.0, b2.finalSoftcap());
    assertEquals(4096, b2.slidingWindow());
    assertEquals(List.of(1, 107), b2.eosIds());
    assertEquals("bfloat16", b2.storedDtype());
    // No layer_types in the old format: even layers slide.
    assertEquals(LayerType.SLIDING, b2.layerType(0));
    assertEquals(LayerType.FULL, b2.layerType(1));
    assertEquals(LayerType.SLIDING, b2.layerType(24));

    ModelConfig b27 = TestFixtures.realConfig("gemma-2-27b-it");
    assertEquals(144, b27.queryPreAttnScalar());
    assertEquals(128, b27.headDim());
    assertTrue(b27.headDim() != b27.hiddenSize() / b27.numHeads(), "27B: head_dim is not hidden / heads");
    assertEquals(2, b27.queriesPerKvHead());
    assertEquals(1.0 / 12.0, b27.attentionScale(), 1e-12);

    ModelConfig b9 = TestFixtures.realConfig("gemma-2-9b-it");
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
    assertEquals(10000.0, tiny.globalRope().theta());
    assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING, LayerType.FULL), tiny.layerTypes());
    assertEquals("float32", tiny.storedDtype());
  }

  @Test
  void readsGenerationConfig() {
    Path folder = TestFixtures.path("real-configs");
    GenerationDefaults d = GenerationDefaults.load(folder.resolve("none"), TestFixtures.realConfig("gemma-2-2b-it"));
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

  /** The tiny fixture's config with {@code key} set to the JSON {@code value}. */
  private static String tinyWith(String key, String value) throws java.io.IOException {
    com.google.gson.JsonObject o =
        com.google.gson.JsonParser.parseString(Files.readString(TestFixtures.path("tiny-gemma2").resolve("config.json")))
            .getAsJsonObject();
    o.add(key, com.google.gson.JsonParser.parseString(value));
    if (key.equals("num_hidden_layers")) {
      o.remove("layer_types");
    }
    return o.toString();
  }

  private static String rejected(String json) {
    return assertThrows(ModelFormatException.class, () -> ModelConfig.parse(json, "m/config.json")).getMessage();
  }

  @Test
  void valuesThatWouldSizeAllocationsOrBreakTheMathAreBoundedUpFront() throws java.io.IOException {
    String[][] cases = {
      {"num_hidden_layers", "2e9", "num_hidden_layers"},
      {"num_hidden_layers", "2000000000", "num_hidden_layers"},
      {"num_hidden_layers", "3.5", "num_hidden_layers"},
      {"vocab_size", "1000000000", "vocab_size"},
      {"hidden_size", "-64", "hidden_size"},
      {"rms_norm_eps", "1e308", "rms_norm_eps"},
      {"rms_norm_eps", "0", "rms_norm_eps"},
      {"dtype", "\"float8_e4m3\"", "float8_e4m3"},
      {"eos_token_id", "999999999", "eos_token_id"},
      {"eos_token_id", "[1, -3]", "eos_token_id"},
      {"bos_token_id", "512", "bos_token_id"},
      {"final_logit_softcapping", "\"inf\"", "final_logit_softcapping"},
      {"max_position_embeddings", "\"256\"", "max_position_embeddings"},
    };
    for (String[] c : cases) {
      String message = rejected(tinyWith(c[0], c[1]));
      assertTrue(message.contains("m/config.json") && message.contains(c[2]), c[0] + "=" + c[1] + ": " + message);
    }
    String duplicate = rejected("{\"model_type\": \"gemma2\", \"model_type\": \"llama\"}");
    assertTrue(duplicate.contains("\"model_type\" twice"), duplicate);
  }

  @Test
  void aBadGenerationConfigIsNamed(@TempDir Path dir) throws java.io.IOException {
    ModelConfig config = ModelConfig.load(TestFixtures.path("tiny-gemma2").resolve("config.json"));
    for (String[] c : new String[][] {
        {"{\"temperature\": -1}", "temperature"},
        {"{\"eos_token_id\": 999999999}", "eos_token_id"},
        {"{\"top_p\": 1.5}", "top_p"},
        {"{\"top_k\": 2.5}", "top_k"},
        {"{\"temperature\": 0.7", "not valid JSON"}}) {
      Files.writeString(dir.resolve("generation_config.json"), c[0]);
      String message = assertThrows(ModelFormatException.class, () -> GenerationDefaults.load(dir, config)).getMessage();
      assertTrue(message.contains("generation_config.json") && message.contains(c[1]), c[0] + ": " + message);
    }
  }

  @Test
  void aBuilderCopiesAConfigAndValidatesWhatItChanges() {
    ModelConfig b2 = TestFixtures.realConfig("gemma-2-2b-it");
    assertEquals(b2, b2.toBuilder().build(), "a config round-trips through its builder");
    assertEquals(b2.hashCode(), b2.toBuilder().build().hashCode());
    ModelConfig fewer = b2.toBuilder().numLayers(2).layerTypes(List.of(LayerType.SLIDING, LayerType.FULL)).build();
    assertEquals(2, fewer.numLayers());
    assertTrue(!fewer.equals(b2));
    assertEquals(Activation.GELU_TANH, b2.activation());
    String odd = assertThrows(ModelFormatException.class, () -> b2.toBuilder().headDim(255).build()).getMessage();
    assertTrue(odd.contains("head_dim") && odd.contains("even"), odd);
    String mismatch = assertThrows(ModelFormatException.class, () -> b2.toBuilder().numLayers(3).build()).getMessage();
    assertTrue(mismatch.contains("layer_types has 26 entries"), mismatch);
  }
}
