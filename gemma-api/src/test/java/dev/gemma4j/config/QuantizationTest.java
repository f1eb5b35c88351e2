package dev.gemma4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** What {@code quantization_config} gemma4j reads, and the message for what it does not. */
class QuantizationTest {
  static String config(String quantization) {
    return "{\"model_type\": \"gemma2\"" + (quantization == null ? "" : ", \"quantization_config\": " + quantization) + "}";
  }

  @Test
  void floatCheckpointsHaveNone() {
    assertEquals(Optional.empty(), Quantization.parse(config(null), "config.json"));
  }

  @ParameterizedTest
  @ValueSource(ints = {32, 64, 128})
  void awqGemmWithTheUsualGroupSizes(int group) {
    String json = "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": " + group
        + ", \"zero_point\": true, \"version\": \"GEMM\", \"modules_to_not_convert\": null}";
    assertEquals(Optional.of(new Quantization(4, group)), Quantization.parse(config(json), "config.json"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "{\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 128, \"desc_act\": true}",
    "{\"quant_method\": \"awq\", \"bits\": 8, \"group_size\": 128, \"version\": \"gemm\"}",
    "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 96, \"version\": \"gemm\"}",
    "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128, \"version\": \"gemv\"}",
    "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128, \"version\": \"exllama\"}",
    "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128, \"version\": \"marlin\"}",
    "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128, \"zero_point\": false}",
    "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128, \"modules_to_not_convert\": [\"mlp\"]}",
    "{\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true}"
  })
  void everythingElseIsRefusedNamingWhatIsRead(String json) {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Quantization.parse(config(json), "config.json"));
    assertTrue(e.getMessage().contains("quantization_config") && e.getMessage().contains("quant_method \"awq\", bits 4"),
        e.getMessage());
  }
}
