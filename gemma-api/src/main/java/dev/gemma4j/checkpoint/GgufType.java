package dev.gemma4j.checkpoint;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The GGML element and block types gemma4j reads, with ggml's ids and block sizes ({@code ggml.h},
 * {@code ggml-common.h}): the float types, and the quantizations people's Gemma files use (Q8_0, Q4_0, and
 * Q4_K with Q6_K, which make Q4_K_M).
 */
public enum GgufType {
  F32(0, 1, 4),
  F16(1, 1, 2),
  Q4_0(2, 32, 18),
  Q8_0(8, 32, 34),
  Q4_K(12, 256, 144),
  Q6_K(14, 256, 210),
  BF16(30, 1, 2);

  private final int id;
  private final int blockElements;
  private final int blockBytes;

  GgufType(int id, int blockElements, int blockBytes) {
    this.id = id;
    this.blockElements = blockElements;
    this.blockBytes = blockBytes;
  }

  /** ggml's id of the type. */
  public int id() {
    return id;
  }

  /** Elements in one block (1 for the float types). */
  public int blockElements() {
    return blockElements;
  }

  /** Bytes of one block. */
  public int blockBytes() {
    return blockBytes;
  }

  /** Whether the type is a quantization (blocks with scales) rather than plain floats. */
  public boolean quantized() {
    return blockElements > 1;
  }

  static Optional<GgufType> of(int id) {
    return Arrays.stream(values()).filter(t -> t.id == id).findFirst();
  }

  static String supportedNames() {
    return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
  }
}
