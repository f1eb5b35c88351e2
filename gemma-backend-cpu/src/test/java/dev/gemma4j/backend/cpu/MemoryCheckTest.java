package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import com.google.gson.JsonObject;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Precision;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A model that cannot fit is refused before anything is allocated, with what it needs, what the machine
 * has and the ways out, instead of being killed by the operating system while loading (the checkpoint is
 * a Gemma-2-27B-shaped sparse file: 54 GB of tensors declared, no disk used); and what the check counts
 * is what loading then holds.
 */
class MemoryCheckTest {
  @TempDir Path dir;

  @Test
  void aModelLargerThanTheMachineIsRefusedWithBothNumbersAndTheWaysOut() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("gemma-2-27b-shaped"));
    Path config = TestFixtures.path("real-configs").resolve("gemma-2-27b-it.config.json");
    Files.copy(config, folder.resolve("config.json"));
    JsonObject c = com.google.gson.JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    long hidden = c.get("hidden_size").getAsLong();
    long heads = c.get("num_attention_heads").getAsLong();
    long kvHeads = c.get("num_key_value_heads").getAsLong();
    long headDim = c.get("head_dim").getAsLong();
    long inter = c.get("intermediate_size").getAsLong();
    Map<String, List<Long>> shapes = new LinkedHashMap<>();
    shapes.put("model.embed_tokens.weight", List.of(c.get("vocab_size").getAsLong(), hidden));
    for (int i = 0; i < c.get("num_hidden_layers").getAsInt(); i++) {
      String p = "model.layers." + i + ".";
      for (String norm : List.of("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm")) {
        shapes.put(p + norm + ".weight", List.of(hidden));
      }
      shapes.put(p + "self_attn.q_proj.weight", List.of(heads * headDim, hidden));
      shapes.put(p + "self_attn.k_proj.weight", List.of(kvHeads * headDim, hidden));
      shapes.put(p + "self_attn.v_proj.weight", List.of(kvHeads * headDim, hidden));
      shapes.put(p + "self_attn.o_proj.weight", List.of(hidden, heads * headDim));
      shapes.put(p + "mlp.gate_proj.weight", List.of(inter, hidden));
      shapes.put(p + "mlp.up_proj.weight", List.of(inter, hidden));
      shapes.put(p + "mlp.down_proj.weight", List.of(hidden, inter));
    }
    shapes.put("model.norm.weight", List.of(hidden));
    writeSparseSafetensors(folder.resolve("model.safetensors"), shapes);

    GemmaException e = assertThrows(GemmaException.class, () -> Gemma.open(folder, GenerationGoldenTest.cpu()).close());
    String m = e.getMessage();
    assertTrue(m.contains("needs about") && m.contains("GiB") && m.contains("are available"), m);
    assertTrue(m.contains("weights 50.") || m.contains("weights 5"), "the weights' size is named: " + m);
    assertTrue(m.contains("smaller model") && m.contains("GemmaOptions.backend(\"npu\")") && m.contains("AWQ 4-bit checkpoint"), m);
  }

  /**
   * What the memory check counts before loading is what loading holds: float checkpoints in float32 and
   * bf16 math, an AWQ checkpoint (its words copied into strips, scales and zero points unpacked to float32)
   * and quantization at load.
   */
  @ParameterizedTest
  @CsvSource({
      "tiny-gemma2, FLOAT32, NONE", "tiny-gemma2, BFLOAT16, NONE", "tiny-gemma2-bf16, FLOAT32, NONE",
      "tiny-gemma2-awq, FLOAT32, NONE", "tiny-gemma2, FLOAT32, INT8", "tiny-gemma2, FLOAT32, INT4"})
  void theWeightsAreCountedBeforeLoadingAsLoadingHoldsThem(
      String fixture, Precision precision, WeightQuantization quantize) {
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path(fixture));
        Backend backend = new CpuBackendProvider().open(new BackendOptions(precision, 0, 0))) {
      long before = backend.ops().weightBytesFor(checkpoint, quantize);
      DecoderModel.load(checkpoint, backend.ops(), quantize);
      assertEquals(before, backend.ops().weightBytes(), fixture + " " + precision + " " + quantize);
    }
  }

  /** A safetensors file whose header declares the tensors (bf16) and whose data is a hole. */
  static void writeSparseSafetensors(Path file, Map<String, List<Long>> shapes) throws IOException {
    StringBuilder header = new StringBuilder("{");
    long offset = 0;
    for (Map.Entry<String, List<Long>> e : shapes.entrySet()) {
      long bytes = 2;
      for (long d : e.getValue()) {
        bytes *= d;
      }
      if (header.length() > 1) {
        header.append(',');
      }
      header.append('"').append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":").append(e.getValue())
          .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
      offset += bytes;
    }
    byte[] json = header.append('}').toString().replace(" ", "").getBytes(StandardCharsets.UTF_8);
    try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
      out.write(json);
      out.setLength(8 + json.length + offset);
    }
  }
}
