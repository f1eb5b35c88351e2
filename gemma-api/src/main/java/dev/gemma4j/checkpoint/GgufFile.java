package dev.gemma4j.checkpoint;

import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.internal.SafeFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (llama.cpp's format, versions 2 and 3), memory-mapped: its metadata and its tensors' types,
 * shapes and places. Nothing it says is trusted: counts, lengths, dimensions and offsets are checked against
 * the file's size before anything is read or allocated, so a damaged or hostile file is a
 * {@link ModelFormatException} naming the file and what is wrong, never a crash or a huge allocation.
 */
public final class GgufFile implements AutoCloseable {
  static final int MAGIC = 0x46554747; // "GGUF" little-endian
  static final int DEFAULT_ALIGNMENT = 32;
  /** More metadata entries or tensors than any model has; a bound on what a header may ask for. */
  static final long MAX_ENTRIES = 1 << 20;
  static final int MAX_DIMS = 4;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * One tensor as the file describes it.
   *
   * @param name its GGUF name, e.g. {@code blk.0.attn_q.weight}
   * @param type its element or block type
   * @param dims its dimensions as GGUF lists them, innermost (the row length) first
   * @param offset absolute byte offset of its data in the file
   * @param byteLength bytes of its data
   */
  public record Tensor(String name, GgufType type, List<Long> dims, long offset, long byteLength) {
    /** Copies the dimensions. */
    public Tensor {
      dims = List.copyOf(dims);
    }

    /** Elements in all. */
    public long elementCount() {
      return TensorInfo.elementCount(dims);
    }

    /** The shape outermost first, as safetensors and PyTorch write it. */
    public List<Long> shape() {
      List<Long> shape = new ArrayList<>(dims);
      Collections.reverse(shape);
      return shape;
    }
  }

  private final MappedFile mapping;
  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, Tensor> tensors;

  private GgufFile(MappedFile mapping, int version, Map<String, Object> metadata, Map<String, Tensor> tensors) {
    this.mapping = mapping;
    this.version = version;
    this.metadata = Collections.unmodifiableMap(metadata);
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /**
   * Opens and maps a GGUF file, validating its header and every tensor's place.
   *
   * @throws ModelFormatException when it is missing, not GGUF, truncated, or inconsistent
   */
  public static GgufFile open(Path path) {
    SafeFiles.requireRegularFile(path, "GGUF file", ModelFormatException::new);
    MappedFile mapping;
    try {
      mapping = MappedFile.map(path);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read GGUF file " + path + ": " + e.getMessage(), e);
    }
    try {
      long size = mapping.data().byteSize();
      Reader reader = new Reader(path, mapping.data());
      int magic = reader.u32();
      if (magic != MAGIC) {
        throw new ModelFormatException(path + " is not a GGUF file (it does not begin with \"GGUF\")");
      }
      int version = reader.u32();
      if (version != 2 && version != 3) {
        throw new ModelFormatException(path + " is GGUF version " + Integer.toUnsignedString(version)
            + "; gemma4j reads versions 2 and 3 (llama.cpp's since 2023)");
      }
      long tensorCount = reader.count("tensor count");
      long metadataCount = reader.count("metadata entry count");
      Map<String, Object> metadata = new LinkedHashMap<>();
      for (long i = 0; i < metadataCount; i++) {
        String key = reader.string("a metadata key");
        if (metadata.put(key, reader.value(key, reader.u32(), 0)) != null) {
          throw new ModelFormatException(path + " names the metadata key " + key + " twice");
        }
      }
      long alignment = DEFAULT_ALIGNMENT;
      if (metadata.get("general.alignment") instanceof Number n) {
        alignment = n.longValue();
        if (alignment <= 0 || alignment > 1 << 16 || Long.bitCount(alignment) != 1) {
          throw new ModelFormatException(path + ": general.alignment is " + alignment + "; it must be a power of two");
        }
      }
      List<Tensor> infos = new ArrayList<>();
      for (long i = 0; i < tensorCount; i++) {
        infos.add(reader.tensorInfo());
      }
      long dataStart = (reader.position() + alignment - 1) / alignment * alignment;
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (Tensor t : infos) {
        long relative = t.offset();
        if (relative % alignment != 0) {
          throw new ModelFormatException(path + ": tensor " + t.name() + " starts at " + relative
              + ", not a multiple of the alignment " + alignment);
        }
        long start = dataStart + relative;
        if (relative < 0 || start < dataStart || start > size || t.byteLength() > size - start) {
          throw new ModelFormatException(path + ": tensor " + t.name() + " (" + t.byteLength() + " bytes at data offset "
              + relative + ") reaches past the end of the file (" + size + " bytes); the file is truncated or damaged");
        }
        if (tensors.put(t.name(), new Tensor(t.name(), t.type(), t.dims(), start, t.byteLength())) != null) {
          throw new ModelFormatException(path + " names the tensor " + t.name() + " twice");
        }
      }
      return new GgufFile(mapping, version, metadata, tensors);
    } catch (RuntimeException e) {
      mapping.close();
      throw e;
    }
  }

  public Path path() {
    return mapping.path();
  }

  public int version() {
    return version;
  }

  /** The metadata: strings, numbers (as their Java boxes), booleans, and lists of them. */
  public Map<String, Object> metadata() {
    return metadata;
  }

  /** The tensors by GGUF name, in the file's order. */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** A read-only view of {@code length} bytes from absolute offset {@code offset}. */
  public MemorySegment segment(long offset, long length) {
    return mapping.data().asSlice(offset, length);
  }

  /** Whether the file on disk is still the one mapped (same size and modification time). */
  public boolean unchanged() {
    return mapping.unchanged();
  }

  @Override
  public void close() {
    mapping.close();
  }

  /** Reads the header with every length checked against what is left of the file. */
  private static final class Reader {
    private final Path path;
    private final MemorySegment data;
    private long at;

    Reader(Path path, MemorySegment data) {
      this.path = path;
      this.data = data;
    }

    long position() {
      return at;
    }

    private void need(long bytes, String what) {
      if (bytes < 0 || bytes > data.byteSize() - at) {
        throw new ModelFormatException(path + " ends inside its header (reading " + what + " at byte " + at
            + " of " + data.byteSize() + "); the file is truncated or not GGUF");
      }
    }

    int u32() {
      need(4, "a 32-bit value");
      int v = data.get(INT, at);
      at += 4;
      return v;
    }

    long u64() {
      need(8, "a 64-bit value");
      long v = data.get(LONG, at);
      at += 8;
      return v;
    }

    long count(String what) {
      long n = u64();
      if (n < 0 || n > MAX_ENTRIES) {
        throw new ModelFormatException(path + ": the " + what + " is " + Long.toUnsignedString(n)
            + ", more than any model has (" + MAX_ENTRIES + "); the file is damaged");
      }
      return n;
    }

    String string(String what) {
      long length = u64();
      need(length, what);
      byte[] bytes = data.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE);
      at += length;
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        throw new ModelFormatException(path + ": " + what + " at byte " + (at - length) + " is not UTF-8");
      }
    }

    Object value(String key, int type, int depth) {
      return switch (type) {
        case 0 -> (int) data.get(ValueLayout.JAVA_BYTE, advance(1)) & 0xff;
        case 1 -> (int) data.get(ValueLayout.JAVA_BYTE, advance(1));
        case 2 -> data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), advance(2)) & 0xffff;
        case 3 -> (int) data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), advance(2));
        case 4 -> Integer.toUnsignedLong(data.get(INT, advance(4)));
        case 5 -> data.get(INT, advance(4));
        case 6 -> data.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), advance(4));
        case 7 -> {
          byte b = data.get(ValueLayout.JAVA_BYTE, advance(1));
          if (b != 0 && b != 1) {
            throw new ModelFormatException(path + ": metadata " + key + " is a boolean holding " + b);
          }
          yield b == 1;
        }
        case 8 -> string("the value of " + key);
        case 9 -> {
          if (depth > 0) {
            throw new ModelFormatException(path + ": metadata " + key + " nests arrays, which GGUF models do not");
          }
          int elementType = u32();
          long n = count("length of " + key);
          List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 16));
          for (long i = 0; i < n; i++) {
            list.add(value(key, elementType, depth + 1));
          }
          yield Collections.unmodifiableList(list);
        }
        case 10 -> u64();
        case 11 -> data.get(LONG, advance(8));
        case 12 -> data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), advance(8));
        default -> throw new ModelFormatException(path + ": metadata " + key + " has the unknown value type " + type);
      };
    }

    private long advance(long bytes) {
      need(bytes, "a metadata value");
      long start = at;
      at += bytes;
      return start;
    }

    Tensor tensorInfo() {
      String name = string("a tensor name");
      int dimCount = u32();
      if (dimCount < 1 || dimCount > MAX_DIMS) {
        throw new ModelFormatException(path + ": tensor " + name + " has " + Integer.toUnsignedString(dimCount)
            + " dimensions; GGUF tensors have 1 to " + MAX_DIMS);
      }
      List<Long> dims = new ArrayList<>();
      long elements = 1;
      for (int d = 0; d < dimCount; d++) {
        long dim = u64();
        if (dim <= 0 || dim > (1L << 40) || elements > (1L << 45) / dim) {
          throw new ModelFormatException(path + ": tensor " + name + " has the dimension " + Long.toUnsignedString(dim)
              + "; the header is damaged");
        }
        elements *= dim;
        dims.add(dim);
      }
      int typeId = u32();
      GgufType type = GgufType.of(typeId).orElseThrow(() -> new ModelFormatException(path + ": tensor " + name
          + " has the GGML type " + Integer.toUnsignedString(typeId) + ", which gemma4j does not read (it reads "
          + GgufType.supportedNames() + "); convert the model to one of those"));
      if (dims.getFirst() % type.blockElements() != 0) {
        throw new ModelFormatException(path + ": tensor " + name + " is " + type + " with rows of " + dims.getFirst()
            + " elements, not a multiple of its block of " + type.blockElements());
      }
      long offset = u64();
      return new Tensor(name, type, dims, offset, elements / type.blockElements() * type.blockBytes());
    }
  }
}
