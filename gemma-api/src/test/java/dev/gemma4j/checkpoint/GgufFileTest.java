package dev.gemma4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reading GGUF: blocks dequantize to exactly what gguf-py (llama.cpp's package) computes, a fixture converted
 * to GGUF reads back as the same model, and damaged or foreign files fail with messages that name the
 * problem.
 */
class GgufFileTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = GgufType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
  void blocksDequantizeAsGgufPyDoes(GgufType type) throws IOException {
    JsonObject reference;
    try (InputStream in = GgufFileTest.class.getResourceAsStream("/gguf/dequant-reference.json")) {
      reference = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject()
          .getAsJsonObject("types").getAsJsonObject(type.name());
    }
    int elements = reference.get("elements").getAsInt();
    byte[] blocks = Base64.getDecoder().decode(reference.get("blocks").getAsString());
    ByteBuffer values = ByteBuffer.wrap(Base64.getDecoder().decode(reference.get("values").getAsString()))
        .order(ByteOrder.LITTLE_ENDIAN);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(elements * 4L);
      GgufDequantizer.toFloat32(type, MemorySegment.ofArray(blocks), out, elements);
      for (int i = 0; i < elements; i++) {
        float expected = values.getFloat(i * 4);
        float ours = out.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(ours),
            type + " element " + i + ": gguf-py " + expected + ", ours " + ours);
      }
    }
  }

  @Test
  void aConvertedFixtureReadsBackAsTheSameModel() throws IOException {
    Path fixture = TestFixtures.path("tiny-gemma2");
    Path gguf = dir.resolve("tiny.gguf");
    GgufTestFiles.fromFixture(fixture, GgufType.F32, false, gguf);
    try (Checkpoint original = Checkpoint.open(fixture); Checkpoint read = Checkpoint.open(gguf)) {
      assertEquals(original.config().hiddenSize(), read.config().hiddenSize());
      assertEquals(original.config().numLayers(), read.config().numLayers());
      assertEquals(original.config().vocabSize(), read.config().vocabSize());
      assertEquals(original.config().slidingWindow(), read.config().slidingWindow());
      for (String name : List.of("model.layers.1.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight",
          "model.norm.weight", "model.embed_tokens.weight")) {
        TensorInfo a = original.tensor(name, original.tensors().get(name).shape().stream().mapToLong(Long::longValue).toArray());
        TensorInfo b = read.tensors().get(name);
        assertEquals(a.shape(), b.shape(), name);
        float[] x = GgufTestFiles.floats(original, a);
        float[] y = GgufTestFiles.floats(read, b);
        for (int i = 0; i < x.length; i++) {
          assertEquals(x[i], y[i], Math.ulp(1f) * 2 * Math.max(1, Math.abs(x[i])), name + "[" + i + "]");
        }
      }
      assertTrue(read.tensors().keySet().stream().noneMatch(n -> n.startsWith("lm_head")));
    }
  }

  /**
   * A quantized file's weights, as read, are the float32 twin's to the bit, K-quants included; an all-Q4_0
   * file reads as AWQ 4-bit tensors whose {@code (q - zero) * scale} are the twin's values to the bit.
   */
  @ParameterizedTest
  @EnumSource(value = GgufType.class, names = {"Q8_0", "Q4_0", "Q4_K"})
  void quantizedWeightsReadAsTheirDequantizedTwin(GgufType type) throws IOException {
    Path quantized = dir.resolve("q.gguf");
    Path twin = dir.resolve("twin.gguf");
    if (type == GgufType.Q4_K) {
      GgufTestFiles.randomKQuantModel(quantized, false, 3);
      GgufTestFiles.randomKQuantModel(twin, true, 3);
    } else {
      GgufTestFiles.fromFixture(TestFixtures.path("tiny-gemma2"), type, false, quantized);
      GgufTestFiles.fromFixture(TestFixtures.path("tiny-gemma2"), type, true, twin);
    }
    try (Checkpoint a = Checkpoint.open(quantized); Checkpoint b = Checkpoint.open(twin)) {
      if (type == GgufType.Q4_0) {
        assertEquals(java.util.Optional.of(new dev.gemma4j.config.Quantization(4, 32)), a.quantization());
        for (String name : b.tensors().keySet()) {
          if (name.endsWith("_proj.weight")) {
            assertAwqEquals(a, name.substring(0, name.length() - ".weight".length()), GgufTestFiles.floats(b, b.tensors().get(name)));
          }
        }
        return;
      }
      assertEquals(b.tensors().keySet(), a.tensors().keySet());
      for (String name : a.tensors().keySet()) {
        TensorInfo x = a.tensors().get(name);
        TensorInfo y = b.tensors().get(name);
        assertEquals(y.shape(), x.shape(), name);
        assertArrayEquals(b.segment(y, 0, y.byteLength()).toArray(ValueLayout.JAVA_BYTE),
            a.segment(x, 0, x.byteLength()).toArray(ValueLayout.JAVA_BYTE), name);
      }
    }
  }

  /** AutoAWQ's GEMM layout read back: nibble k of word [i, j] is output 8j + ORDER[k]. */
  private static void assertAwqEquals(Checkpoint c, String layer, float[] expected) {
    int[] order = {0, 2, 4, 6, 1, 3, 5, 7};
    TensorInfo qweight = c.tensors().get(layer + ".qweight");
    TensorInfo qzeros = c.tensors().get(layer + ".qzeros");
    TensorInfo scales = c.tensors().get(layer + ".scales");
    int in = qweight.shape().get(0).intValue();
    int packed = qweight.shape().get(1).intValue();
    int out = packed * 8;
    var w = c.segment(qweight, 0, qweight.byteLength());
    var z = c.segment(qzeros, 0, qzeros.byteLength());
    var s = c.segment(scales, 0, scales.byteLength());
    ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < packed; j++) {
        for (int k = 0; k < 8; k++) {
          int o = 8 * j + order[k];
          int q = w.getAtIndex(INT, (long) i * packed + j) >>> (4 * k) & 0xF;
          int zero = z.getAtIndex(INT, (long) (i / 32) * packed + j) >>> (4 * k) & 0xF;
          float scale = Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
              (long) (i / 32) * out + o));
          assertEquals(Float.floatToIntBits(expected[o * in + i]), Float.floatToIntBits((q - zero) * scale),
              layer + " [" + o + ", " + i + "]");
        }
      }
    }
  }

  @Test
  void aFolderWithOneGgufFileOpensIt() throws IOException {
    GgufTestFiles.fromFixture(TestFixtures.path("tiny-gemma2"), GgufType.Q8_0, false, dir.resolve("model.gguf"));
    try (Checkpoint read = Checkpoint.open(dir)) {
      assertEquals(DType.F32, read.tensors().get("model.layers.0.self_attn.q_proj.weight").dtype());
    }
    Files.copy(dir.resolve("model.gguf"), dir.resolve("other.gguf"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("several GGUF files"), e.getMessage());
  }

  @Test
  void damagedAndForeignFilesAreRefusedByName() throws IOException {
    Path good = dir.resolve("good.gguf");
    GgufTestFiles.fromFixture(TestFixtures.path("tiny-gemma2"), GgufType.F32, false, good);
    byte[] bytes = Files.readAllBytes(good);

    assertRefused(write("magic.gguf", "GGML".getBytes(StandardCharsets.US_ASCII)), "not a GGUF file");
    byte[] wrongMagic = bytes.clone();
    wrongMagic[0] = 'X';
    assertRefused(write("magic2.gguf", wrongMagic), "not a GGUF file");
    assertRefused(write("cut-header.gguf", java.util.Arrays.copyOf(bytes, 200)), "ends inside its header");
    assertRefused(write("cut-data.gguf", java.util.Arrays.copyOf(bytes, bytes.length - 100)), "past the end of the file");
    byte[] version = bytes.clone();
    version[4] = 9;
    assertRefused(write("version.gguf", version), "version 9");
    byte[] hugeCount = bytes.clone();
    hugeCount[15] = 0x7f; // the tensor count's high byte
    assertRefused(write("count.gguf", hugeCount), "more than any model has");

    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("general.architecture", "gemma2");
    assertRefused(writeGguf("type.gguf", meta, List.of(new GgufTestFiles.Tensor("token_embd.weight",
        GgufType.F32, new long[] {4, 4}, new byte[64]))), "");
    byte[] unknownType = Files.readAllBytes(dir.resolve("type.gguf"));
    int typeAt = indexOf(unknownType, "token_embd.weight".getBytes(StandardCharsets.US_ASCII)) + 17 + 4 + 16;
    unknownType[typeAt] = 23; // GGML_TYPE_IQ4_XS
    assertRefused(write("unknown-type.gguf", unknownType), "GGML type 23");

    Map<String, Object> llama = new LinkedHashMap<>();
    llama.put("general.architecture", "llama");
    assertRefused(writeGguf("llama.gguf", llama, List.of()), "architecture 'llama'");
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private Path writeGguf(String name, Map<String, Object> meta, List<GgufTestFiles.Tensor> tensors) throws IOException {
    Path p = dir.resolve(name);
    GgufTestFiles.write(p, meta, tensors);
    return p;
  }

  private static void assertRefused(Path file, String expected) {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.open(file).close(), file.toString());
    assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(file.getFileName().toString()),
        e.getMessage());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
