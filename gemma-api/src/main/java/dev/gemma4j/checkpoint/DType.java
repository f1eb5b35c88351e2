package dev.gemma4j.checkpoint;

import dev.gemma4j.config.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The element types gemma4j reads from safetensors files. */
public enum DType {
  /** IEEE 754 binary32. */
  F32(4),
  /** bfloat16: the upper half of a binary32; what published Gemma 2 checkpoints store. */
  BF16(2),
  /** IEEE 754 binary16. */
  F16(2),
  /** 32-bit integers: the packed 4-bit weights and zero points of AWQ checkpoints, never a float tensor. */
  I32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** Whether this is a floating-point type (the dtypes of weights used as they are). */
  public boolean isFloat() {
    return this != I32;
  }

  /**
   * The dtype of a safetensors header entry.
   *
   * @throws ModelFormatException for dtypes gemma4j does not read, naming the file and tensor
   */
  public static DType fromSafetensors(String name, String file, String tensor) {
    return switch (name) {
      case "F32" -> F32;
      case "BF16" -> BF16;
      case "F16" -> F16;
      case "I32" -> I32;
      default ->
          throw new ModelFormatException(
              file
                  + ": tensor "
                  + tensor
                  + " has dtype "
                  + name
                  + "; gemma4j reads F32, BF16 and F16 tensors, and I32 for the packed weights of"
                  + " AWQ 4-bit checkpoints");
    };
  }

  /**
   * Widens {@code count} little-endian elements of this dtype from {@code src} (at its position) into
   * float32 values written little-endian to {@code dst} (at its position). Neither buffer's position
   * moves. bfloat16 widens exactly ({@code bits << 16}), as does float16.
   */
  public void widenToFloat32(ByteBuffer src, ByteBuffer dst, int count) {
    ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int inBase = in.position();
    int outBase = out.position();
    switch (this) {
      case F32 -> {
        ByteBuffer slice = in.slice(inBase, count * 4);
        out.put(outBase, slice, 0, count * 4);
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          out.putInt(outBase + 4 * i, (in.getShort(inBase + 2 * i) & 0xFFFF) << 16);
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          out.putFloat(outBase + 4 * i, Float.float16ToFloat(in.getShort(inBase + 2 * i)));
        }
      }
      case I32 -> throw new IllegalArgumentException("int32 tensors are packed weights, not floats to widen");
    }
  }
}
