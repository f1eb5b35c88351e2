package dev.gemma4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Gemma 3 configs in the forms they are published in: text-only, multimodal with a sparse text_config, transformers 5. */
class Gemma3ConfigTest {

  /** Gemma 3's pattern: every sixth layer attends to everything. */
  private static List<LayerType> fiveSlidingOneFull(int layers) {
    return IntStream.range(0, layers).mapToObj(i -> (i + 1) % 6 == 0 ? LayerType.FULL : LayerType.SLIDING).toList();
  }

  @Test
  void readsThePublishedTextOnlyConfig() {
    ModelConfig b1 = TestFixtures.realConfig("gemma-3-1b-it");
    assertEquals(Architecture.GEMMA3, b1.architecture());
    assertEquals(262_144, b1.vocabSize());
    assertEquals(26, b1.numLayers());
    assertEquals(4, b1.numHeads());
    assertEquals(1, b1.numKvHeads());
    assertEquals(256, b1.headDim());
    assertEquals(512, b1.slidingWindow());
    assertEquals(32_768, b1.maxPositions());
    assertEquals(new RopeParameters(1_000_000, 1), b1.rope(LayerType.FULL));
    assertEquals(new RopeParameters(10_000, 1), b1.rope(LayerType.SLIDING));
    assertEquals(0, b1.attnSoftcap());
    assertEquals(0, b1.finalSoftcap());
    assertEquals(List.of(1, 106), b1.eosIds());
    assertEquals(fiveSlidingOneFull(26), b1.layerTypes());
    assertTrue(Math.abs(b1.parameterCount() / 1e9 - 1.0) < 0.01, () -> "1B has " + b1.parameterCount());
    assertTrue(b1.summary().startsWith("gemma3 26 layers"), b1.summary());
  }

  @Test
  void readsThePublishedMultimodalConfigsWithTransformersDefaultsForWhatTheyLeaveOut() {
    ModelConfig b4 = TestFixtures.realConfig("gemma-3-4b-it");
    assertEquals(Architecture.GEMMA3, b4.architecture());
    assertEquals(262_208, b4.vocabSize(), "Gemma3TextConfig's default: the published embedding has 262,208 rows");
    assertEquals(2560, b4.hiddenSize());
    assertEquals(34, b4.numLayers());
    assertEquals(8, b4.numHeads());
    assertEquals(4, b4.numKvHeads());
    assertEquals(256, b4.headDim());
    assertEquals(256, b4.queryPreAttnScalar());
    assertEquals(131_072, b4.maxPositions());
    assertEquals(1024, b4.slidingWindow());
    assertEquals(new RopeParameters(1_000_000, 8), b4.rope(LayerType.FULL));
    assertEquals(new RopeParameters(10_000, 1), b4.rope(LayerType.SLIDING));
    assertEquals(List.of(1, 106), b4.eosIds(), "from the top level");
    assertEquals("bfloat16", b4.storedDtype(), "from the top level");
    assertEquals(fiveSlidingOneFull(34), b4.layerTypes());
    assertTrue(Math.abs(b4.parameterCount() / 1e9 - 3.88) < 0.02, () -> "4B's language model has " + b4.parameterCount());

    ModelConfig b12 = TestFixtures.realConfig("gemma-3-12b-it");
    assertEquals(48, b12.numLayers());
    assertEquals(16, b12.numHeads());
    assertEquals(8, b12.numKvHeads());
    assertTrue(Math.abs(b12.parameterCount() / 1e9 - 11.77) < 0.05, () -> "12B's language model has " + b12.parameterCount());

    ModelConfig b27 = TestFixtures.realConfig("gemma-3-27b-it");
    assertEquals(62, b27.numLayers());
    assertEquals(128, b27.headDim());
    assertEquals(168, b27.queryPreAttnScalar());
    assertEquals(1 / Math.sqrt(168), b27.attentionScale(), 1e-12);
    assertTrue(Math.abs(b27.parameterCount() / 1e9 - 27.0) < 0.1, () -> "27B's language model has " + b27.parameterCount());
  }

  @Test
  void readsTheTransformers5FormWithRopeParametersPerLayerKind() {
    ModelConfig tiny = ModelConfig.load(TestFixtures.path("tiny-gemma3").resolve("config.json"));
    assertEquals(new RopeParameters(1_000_000, 4), tiny.rope(LayerType.FULL));
    assertEquals(new RopeParameters(10_000, 1), tiny.rope(LayerType.SLIDING));
    assertEquals(24, tiny.queryPreAttnScalar());
    assertEquals(6, tiny.slidingWindow());
    assertEquals(LayerType.FULL, tiny.layerType(5));
    assertEquals(LayerType.SLIDING, tiny.layerType(6));
    // Bases at the top level with only the types and factor per layer kind, as some conversions write them.
    ModelConfig mixed = ModelConfig.parse("""
        {"model_type": "gemma3_text", "num_hidden_layers": 2, "rope_theta": 500000, "rope_local_base_freq": 20000,
         "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 2.0},
                             "sliding_attention": {"rope_type": "default"}}}""", "m/config.json");
    assertEquals(new RopeParameters(500_000, 2), mixed.rope(LayerType.FULL));
    assertEquals(new RopeParameters(20_000, 1), mixed.rope(LayerType.SLIDING));
  }

  @Test
  void theAttentionSoftCapIsIgnoredAsTheReferenceIgnoresIt() {
    ModelConfig config = ModelConfig.parse(
        "{\"model_type\": \"gemma3_text\", \"num_hidden_layers\": 2, \"attn_logit_softcapping\": 50.0}", "m/config.json");
    assertEquals(0, config.attnSoftcap());
  }

  @Test
  void whatGemma4jDoesNotRunIsRefusedByName() {
    String[][] cases = {
      {"{\"model_type\": \"gemma3\"}", "text_config"},
      {"{\"model_type\": \"gemma3_text\", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", "\"yarn\""},
      {"{\"model_type\": \"gemma3_text\", \"use_bidirectional_attention\": true}", "use_bidirectional_attention"},
      {"{\"model_type\": \"gemma3_text\", \"sliding_window_pattern\": 0}", "sliding_window_pattern"},
      {"{\"model_type\": \"gemma3_text\", \"hidden_activation\": \"silu\"}", "\"silu\""},
      {"{\"model_type\": \"gemma3_text\", \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": -1}}", "factor"},
      {"{\"model_type\": \"gemma4_text\"}", "\"gemma3_text\""},
    };
    for (String[] c : cases) {
      String message = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(c[0], "m/config.json")).getMessage();
      assertTrue(message.contains("m/config.json") && message.contains(c[1]), c[0] + ": " + message);
    }
  }
}
