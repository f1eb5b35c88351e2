package dev.gemma4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir Path dir;

  private Path write(String json, byte[] data) throws IOException {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header).put(data);
    Path file = dir.resolve("m.safetensors");
    Files.write(file, b.array());
    return file;
  }

  private static float[] readFloats(SafetensorsFile f, TensorInfo t) {
    int n = (int) t.elementCount();
    ByteBuffer out = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    t.dtype().widenToFloat32(f.buffer(t, 0, (int) t.byteLength()), out, n);
    float[] values = new float[n];
    out.asFloatBuffer().get(values);
    return values;
  }

  @Test
  void readsEveryDtypeItWrites() throws IOException {
    float[] values = {1f, -2.5f, 3.140625f, 0f, 65504f, -0.0001f};
    Path file = dir.resolve("all.safetensors");
    new SafetensorsWriter()
        .add("f32", DType.F32, List.of(2L, 3L), values)
        .add("bf16", DType.BF16, List.of(6L), values)
        .add("f16", DType.F16, List.of(3L, 2L), values)
        .write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(List.of(2L, 3L), f.tensors().get("f32").shape());
      assertArrayEquals(values, readFloats(f, f.tensors().get("f32")));
      float[] bf16 = readFloats(f, f.tensors().get("bf16"));
      for (int i = 0; i < values.length; i++) {
        assertEquals(values[i], bf16[i], Math.abs(values[i]) / 128, "bf16 keeps 8 significant bits");
      }
      float[] f16 = readFloats(f, f.tensors().get("f16"));
      for (int i = 0; i < values.length; i++) {
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), f16[i]);
      }
    }
    assertTrue(Files.notExists(dir.resolve("all.safetensors.incomplete")), "no temporary file is left");
  }

  @Test
  void bf16WidensExactly() {
    ByteBuffer in = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3FC0).putShort((short) 0xC049);
    ByteBuffer out = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    DType.BF16.widenToFloat32(in.flip(), out, 2);
    assertEquals(1.5f, out.getFloat(0));
    assertEquals(-3.140625f, out.getFloat(4));
  }

  private String problem(Path file) {
    return assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file).close()).getMessage();
  }

  @Test
  void rejectsATruncatedFile() throws IOException {
    Path file = dir.resolve("short.safetensors");
    Files.write(file, new byte[] {1, 2, 3});
    String message = problem(file);
    assertTrue(message.contains("short.safetensors") && message.contains("fewer than the 8-byte header"), message);
  }

  @Test
  void rejectsAHeaderLongerThanTheFile() throws IOException {
    Path file = write("{}", new byte[0]);
    byte[] bytes = Files.readAllBytes(file);
    bytes[0] = 100;
    Files.write(file, bytes);
    assertTrue(problem(file).contains("declares 100 bytes of JSON"), problem(file));
  }

  @Test
  void rejectsAHeaderThatIsNotJson() throws IOException {
    assertTrue(problem(write("{\"a\": [1,", new byte[0])).contains("not valid JSON"));
  }

  @Test
  void rejectsDataOutsideTheFile() throws IOException {
    String message = problem(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]));
    assertTrue(message.contains("tensor w claims bytes [0, 16)") && message.contains("8 bytes"), message);
  }

  @Test
  void rejectsAShapeThatDisagreesWithTheOffsets() throws IOException {
    String message = problem(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]));
    assertTrue(message.contains("shape [3]") && message.contains("span 8 bytes"), message);
  }

  @Test
  void rejectsUnsupportedDtypes() throws IOException {
    String message = problem(write("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]));
    assertTrue(message.contains("I64") && message.contains("F32, BF16 and F16"), message);
  }

  @Test
  void rejectsMalformedEntries() throws IOException {
    String message = problem(write("{\"w\":{\"dtype\":\"F32\"}}", new byte[0]));
    assertTrue(message.contains("header entry of tensor w is malformed"), message);
  }

  @Test
  void damagedHeadersAreRejectedCleanlyNeverWithAnotherFailure() throws IOException {
    byte[] original = Files.readAllBytes(TestFixtures.path("tiny-gemma2-bf16").resolve("model.safetensors"));
    java.util.Random random = new java.util.Random(2026);
    Path file = dir.resolve("fuzzed.safetensors");
    int rejected = 0;
    for (int round = 0; round < 300; round++) {
      byte[] damaged = original.clone();
      int headerEnd = 8 + (int) ByteBuffer.wrap(original, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
        damaged[random.nextInt(headerEnd)] = (byte) random.nextInt(256);
      }
      Files.write(file, round % 10 == 0 ? java.util.Arrays.copyOf(damaged, random.nextInt(damaged.length)) : damaged);
      try (SafetensorsFile f = SafetensorsFile.open(file)) {
        // A change that keeps the header valid (a letter of a name) opens; the offsets then still fit.
        for (TensorInfo t : f.tensors().values()) {
          f.segment(t, 0, t.byteLength());
        }
      } catch (ModelFormatException e) {
        rejected++;
        assertTrue(e.getMessage().contains("fuzzed.safetensors"), e.getMessage());
      }
    }
    assertTrue(rejected > 100, "most damage is detected: " + rejected);
  }

  @Test
  void namesAMissingFile() {
    String message = problem(dir.resolve("absent.safetensors"));
    assertTrue(message.contains("absent.safetensors") && message.contains("does not exist"), message);
  }
}
