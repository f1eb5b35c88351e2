package dev.gemma4j.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.internal.SafeFiles;
import dev.gemma4j.internal.StrictJson;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped: the header is parsed and validated on open, tensor data
 * is never copied onto the Java heap. Closing unmaps the file; views obtained before become invalid.
 *
 * <p>Layout: an 8-byte little-endian header length {@code N}, {@code N} bytes of JSON mapping each
 * tensor name to {@code dtype}, {@code shape} and {@code data_offsets} relative to the data section
 * that follows the header.
 */
public final class SafetensorsFile implements WeightFile {
  /** Larger headers are corrupt: even a 27B shard's header is a few tens of kilobytes. */
  private static final long MAX_HEADER_BYTES = 100L << 20;

  private final Path file;
  private final MappedFile mapping;
  private final MemorySegment mapped;
  private final Map<String, TensorInfo> tensors;

  private SafetensorsFile(Path file, MappedFile mapping, Map<String, TensorInfo> tensors) {
    this.file = file;
    this.mapping = mapping;
    this.mapped = mapping.data();
    this.tensors = tensors;
  }

  /** Whether the file on disk is still the one mapped (see {@link MappedFile#unchanged()}). */
  @Override
  public boolean unchanged() {
    return mapping.unchanged();
  }

  /**
   * Opens and maps a file, validating its header.
   *
   * @throws ModelFormatException when the file is missing, truncated, or its header is not valid
   *     safetensors; the message names the file and the problem
   */
  public static SafetensorsFile open(Path file) {
    SafeFiles.requireRegularFile(file, "safetensors file", ModelFormatException::new);
    MappedFile mapping;
    try {
      mapping = MappedFile.map(file);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException("safetensors file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
    }
    try {
      return new SafetensorsFile(file, mapping, parseHeader(file, mapping.data()));
    } catch (RuntimeException e) {
      mapping.close();
      throw e;
    }
  }

  private static Map<String, TensorInfo> parseHeader(Path file, MemorySegment mapped) {
    long size = mapped.byteSize();
    if (size < 8) {
      throw corrupt(file, "the file has " + size + " bytes, fewer than the 8-byte header length");
    }
    long headerLength = mapped.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
      throw corrupt(
          file,
          "the header declares "
              + headerLength
              + " bytes of JSON but the file has "
              + (size - 8)
              + " bytes after the length field (truncated or not a safetensors file)");
    }
    byte[] headerBytes = mapped.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
    JsonObject header =
        StrictJson.parseObject(
            new String(headerBytes, StandardCharsets.UTF_8), "the header of " + file, message -> corrupt(file, message));
    long dataStart = 8 + headerLength;
    long dataSize = size - dataStart;
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> entry : header.entrySet()) {
      if (entry.getKey().equals("__metadata__")) {
        continue;
      }
      tensors.put(entry.getKey(), tensorInfo(file, entry.getKey(), entry.getValue(), dataStart, dataSize));
    }
    checkNoOverlap(file, tensors.values());
    return Collections.unmodifiableMap(tensors);
  }

  /** Two tensors sharing bytes would each read the other's data: a forged or corrupt header. */
  private static void checkNoOverlap(Path file, Collection<TensorInfo> tensors) {
    List<TensorInfo> byOffset = new ArrayList<>(tensors);
    byOffset.sort(Comparator.comparingLong(TensorInfo::fileOffset));
    for (int i = 1; i < byOffset.size(); i++) {
      TensorInfo a = byOffset.get(i - 1);
      TensorInfo b = byOffset.get(i);
      if (b.fileOffset() < a.fileOffset() + a.byteLength()) {
        throw corrupt(file, "tensors " + a.name() + " and " + b.name() + " claim overlapping bytes");
      }
    }
  }

  private static TensorInfo tensorInfo(
      Path file, String name, JsonElement element, long dataStart, long dataSize) {
    try {
      JsonObject o = element.getAsJsonObject();
      JsonElement dtypeName = o.get("dtype");
      if (dtypeName == null || !dtypeName.isJsonPrimitive() || !dtypeName.getAsJsonPrimitive().isString()) {
        throw corrupt(file, "tensor " + name + " has no \"dtype\" string");
      }
      DType dtype = DType.fromSafetensors(dtypeName.getAsString(), file.toString(), name);
      List<Long> shape = new ArrayList<>();
      long elements = 1;
      for (JsonElement d : o.getAsJsonArray("shape")) {
        if (!StrictJson.isInteger(d) || d.getAsLong() < 0) {
          throw corrupt(file, "tensor " + name + " has the dimension " + d + "; dimensions are integers from 0");
        }
        long dim = d.getAsLong();
        shape.add(dim);
        elements = Math.multiplyExact(elements, dim);
      }
      JsonArray offsets = o.getAsJsonArray("data_offsets");
      if (offsets.size() != 2 || !StrictJson.isInteger(offsets.get(0)) || !StrictJson.isInteger(offsets.get(1))) {
        throw corrupt(file, "tensor " + name + " has data_offsets " + offsets + "; expected [begin, end] in bytes");
      }
      long begin = offsets.get(0).getAsLong();
      long end = offsets.get(1).getAsLong();
      if (begin < 0 || end < begin || end > dataSize) {
        throw corrupt(
            file,
            "tensor "
                + name
                + " claims bytes ["
                + begin
                + ", "
                + end
                + ") but the data section has "
                + dataSize
                + " bytes (the file is truncated or its header is corrupt)");
      }
      long expected = Math.multiplyExact(elements, (long) dtype.bytes());
      if (end - begin != expected) {
        throw corrupt(
            file,
            "tensor "
                + name
                + " has shape "
                + shape
                + " of "
                + dtype
                + " ("
                + expected
                + " bytes) but its data_offsets span "
                + (end - begin)
                + " bytes");
      }
      return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    } catch (ModelFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw corrupt(
          file,
          "the header entry of tensor "
              + name
              + " is malformed ("
              + e
              + "); expected {\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}");
    }
  }

  private static ModelFormatException corrupt(Path file, String problem) {
    return new ModelFormatException(
        "corrupt safetensors file " + file + ": " + problem + "; download the file again");
  }

  /** The file. */
  public Path path() {
    return file;
  }

  /** Every tensor in the file, by name, in header order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /**
   * A read-only view of {@code length} bytes of a tensor's data starting {@code offset} bytes into it.
   * No data is copied.
   */
  public MemorySegment segment(TensorInfo tensor, long offset, long length) {
    if (!tensor.file().equals(file)) {
      throw new IllegalArgumentException(tensor.name() + " is not stored in " + file);
    }
    if (offset < 0 || length < 0 || offset + length > tensor.byteLength()) {
      throw new IndexOutOfBoundsException(
          "bytes [" + offset + ", " + (offset + length) + ") of " + tensor.name());
    }
    return mapped.asSlice(tensor.fileOffset() + offset, length).asReadOnly();
  }

  /** Like {@link #segment} as a little-endian {@link ByteBuffer}; at most 2 GiB at a time. */
  public ByteBuffer buffer(TensorInfo tensor, long offset, int length) {
    return segment(tensor, offset, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Unmaps the file. */
  @Override
  public void close() {
    mapping.close();
  }
}
