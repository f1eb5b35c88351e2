package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reads bf16, f16 and f32 elements of a memory segment as float32 (exactly: every one is representable). */
public final class Widening {
  static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Widening() {}

  /** {@code count} elements of {@code dtype} from byte {@code offset} into {@code out[outOffset ..]}. */
  public static void toFloat32(MemorySegment data, long offset, DType dtype, float[] out, int outOffset, int count) {
    switch (dtype) {
      case F32 -> MemorySegment.copy(data, FLOAT, offset, out, outOffset, count);
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          out[outOffset + i] = Float.intBitsToFloat((data.get(SHORT, offset + 2L * i) & 0xFFFF) << 16);
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          out[outOffset + i] = Float.float16ToFloat(data.get(SHORT, offset + 2L * i));
        }
      }
      case I32 -> throw notFloat();
    }
  }

  /** The element at byte {@code offset}, as float32. */
  static float element(MemorySegment data, DType dtype, long offset) {
    return switch (dtype) {
      case F32 -> data.get(FLOAT, offset);
      case BF16 -> Float.intBitsToFloat((data.get(SHORT, offset) & 0xFFFF) << 16);
      case F16 -> Float.float16ToFloat(data.get(SHORT, offset));
      case I32 -> throw notFloat();
    };
  }

  /**
   * Stores {@code count} float32 values as {@code dtype} from byte {@code offset}: f32 as they are, bf16 by
   * dropping the low half (exact for values already rounded to bf16).
   */
  public static void store(float[] values, int from, MemorySegment data, long offset, DType dtype, int count) {
    switch (dtype) {
      case F32 -> MemorySegment.copy(values, from, data, FLOAT, offset, count);
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          data.set(SHORT, offset + 2L * i, (short) (Float.floatToRawIntBits(values[from + i]) >>> 16));
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          data.set(SHORT, offset + 2L * i, Float.floatToFloat16(values[from + i]));
        }
      }
      case I32 -> throw notFloat();
    }
  }

  private static IllegalArgumentException notFloat() {
    return new IllegalArgumentException("int32 data holds packed 4-bit weights, not floats");
  }
}
