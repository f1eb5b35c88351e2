package dev.gemma4j.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.gemma4j.spi.Precision;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@code .safetensors} file tensor by tensor, streaming the data so that checkpoints of any size
 * can be produced with little heap. The file is written under a temporary name and moved into place when
 * complete, so a crash never leaves a half-written file under the final name.
 */
public final class SafetensorsWriter {
  /** Fills a buffer with one tensor's little-endian bytes, in pieces. */
  @FunctionalInterface
  public interface DataSource {
    /** Writes bytes {@code [offset, offset + target.remaining())} of the tensor into {@code target}. */
    void fill(long offset, ByteBuffer target);
  }

  private record Entry(String name, DType dtype, List<Long> shape, long bytes, DataSource data) {}

  private final List<Entry> entries = new ArrayList<>();

  /** Adds a tensor; its data is produced when {@link #write} runs. */
  public SafetensorsWriter add(String name, DType dtype, List<Long> shape, DataSource data) {
    long elements = shape.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
    entries.add(new Entry(name, dtype, List.copyOf(shape), elements * dtype.bytes(), data));
    return this;
  }

  /** Adds an int32 tensor held in memory (the packed weights of an AWQ checkpoint). */
  public SafetensorsWriter add(String name, List<Long> shape, int[] values) {
    return add(name, DType.I32, shape, (offset, target) -> {
      ByteBuffer out = target.order(ByteOrder.LITTLE_ENDIAN);
      int first = (int) (offset / 4);
      while (out.hasRemaining()) {
        out.putInt(values[first++]);
      }
    });
  }

  /** Adds a float32 tensor held in memory, stored as {@code dtype} (bfloat16 rounds to nearest even). */
  public SafetensorsWriter add(String name, DType dtype, List<Long> shape, float[] values) {
    return add(
        name,
        dtype,
        shape,
        (offset, target) -> {
          ByteBuffer out = target.order(ByteOrder.LITTLE_ENDIAN);
          int first = (int) (offset / dtype.bytes());
          while (out.hasRemaining()) {
            float v = values[first++];
            switch (dtype) {
              case F32 -> out.putFloat(v);
              case BF16 -> out.putShort((short) (Float.floatToRawIntBits(Precision.BFLOAT16.round(v)) >>> 16));
              case F16 -> out.putShort(Float.floatToFloat16(v));
              case I32 -> throw new IllegalArgumentException(name + ": int32 tensors are written from int arrays");
            }
          }
        });
  }

  /** Writes the file: header (padded to 8 bytes), then each tensor's data in order. */
  public void write(Path file) throws IOException {
    JsonObject header = new JsonObject();
    long offset = 0;
    for (Entry e : entries) {
      JsonObject t = new JsonObject();
      t.addProperty("dtype", e.dtype().name());
      JsonArray shape = new JsonArray();
      e.shape().forEach(shape::add);
      t.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + e.bytes());
      t.add("data_offsets", offsets);
      header.add(e.name(), t);
      offset += e.bytes();
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    Path temp = file.resolveSibling(file.getFileName() + ".incomplete");
    try (FileChannel channel =
            FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        OutputStream out = Channels.newOutputStream(channel)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
      out.write(length.array());
      out.write(json);
      out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
      ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
      for (Entry e : entries) {
        for (long done = 0; done < e.bytes(); ) {
          int n = (int) Math.min(chunk.capacity(), e.bytes() - done);
          chunk.clear().limit(n);
          e.data().fill(done, chunk.slice().order(ByteOrder.LITTLE_ENDIAN));
          out.write(chunk.array(), 0, n);
          done += n;
        }
      }
    }
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
