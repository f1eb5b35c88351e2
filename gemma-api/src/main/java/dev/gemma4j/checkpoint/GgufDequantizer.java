package dev.gemma4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * GGML's blocks to float32, as ggml's reference {@code dequantize_row_*} functions compute them
 * ({@code ggml-quants.c}), operation for operation in float32, so a quantized file decodes exactly as a
 * float32 file of its dequantized values.
 */
final class GgufDequantizer {
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private GgufDequantizer() {}

  /** Dequantizes {@code count} elements of {@code type} from {@code src} into float32 {@code dst}. */
  static void toFloat32(GgufType type, MemorySegment src, MemorySegment dst, long count) {
    long blocks = count / type.blockElements();
    float[] out = new float[type.blockElements()];
    for (long b = 0; b < blocks; b++) {
      long at = b * type.blockBytes();
      switch (type) {
        case F32 -> out[0] = src.get(FLOAT, at);
        case F16 -> out[0] = Float.float16ToFloat(src.get(SHORT, at));
        case BF16 -> out[0] = Float.intBitsToFloat(src.get(SHORT, at) << 16);
        case Q8_0 -> q8_0(src, at, out);
        case Q4_0 -> q4_0(src, at, out);
        case Q4_K -> q4_K(src, at, out);
        case Q6_K -> q6_K(src, at, out);
      }
      MemorySegment.copy(out, 0, dst, FLOAT, b * type.blockElements() * 4L, out.length);
    }
  }

  private static float half(MemorySegment src, long at) {
    return Float.float16ToFloat(src.get(SHORT, at));
  }

  private static int u8(MemorySegment src, long at) {
    return src.get(ValueLayout.JAVA_BYTE, at) & 0xff;
  }

  /** {@code d * q}: a float16 scale, 32 signed bytes. */
  private static void q8_0(MemorySegment src, long at, float[] out) {
    float d = half(src, at);
    for (int j = 0; j < 32; j++) {
      out[j] = src.get(ValueLayout.JAVA_BYTE, at + 2 + j) * d;
    }
  }

  /** {@code (q - 8) * d}: element j in the low nibble of byte j, element j + 16 in its high nibble. */
  private static void q4_0(MemorySegment src, long at, float[] out) {
    float d = half(src, at);
    for (int j = 0; j < 16; j++) {
      int q = u8(src, at + 2 + j);
      out[j] = ((q & 0x0F) - 8) * d;
      out[j + 16] = ((q >> 4) - 8) * d;
    }
  }

  /**
   * Super-blocks of 256: float16 {@code d} and {@code dmin}, twelve bytes of 6-bit scales and mins for eight
   * sub-blocks of 32, then 128 bytes of nibbles; {@code y = d * scale * q - dmin * min}.
   */
  private static void q4_K(MemorySegment src, long at, float[] out) {
    float d = half(src, at);
    float min = half(src, at + 2);
    long scales = at + 4;
    long qs = at + 16;
    int is = 0;
    int y = 0;
    for (int j = 0; j < 256; j += 64) {
      int[] sm1 = scaleMin(src, scales, is);
      int[] sm2 = scaleMin(src, scales, is + 1);
      float d1 = d * sm1[0];
      float m1 = min * sm1[1];
      float d2 = d * sm2[0];
      float m2 = min * sm2[1];
      for (int l = 0; l < 32; l++) {
        out[y + l] = d1 * (u8(src, qs + l) & 0xF) - m1;
      }
      for (int l = 0; l < 32; l++) {
        out[y + 32 + l] = d2 * (u8(src, qs + l) >> 4) - m2;
      }
      qs += 32;
      is += 2;
      y += 64;
    }
  }

  /** ggml's {@code get_scale_min_k4}: the 6-bit scale and min of sub-block {@code j}. */
  private static int[] scaleMin(MemorySegment src, long q, int j) {
    if (j < 4) {
      return new int[] {u8(src, q + j) & 63, u8(src, q + j + 4) & 63};
    }
    int scale = (u8(src, q + j + 4) & 0xF) | ((u8(src, q + j - 4) >> 6) << 4);
    int min = (u8(src, q + j + 4) >> 4) | ((u8(src, q + j) >> 6) << 4);
    return new int[] {scale, min};
  }

  /**
   * Super-blocks of 256: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, sixteen signed 8-bit scales,
   * a float16 {@code d}; {@code y = d * scale * (q - 32)}.
   */
  private static void q6_K(MemorySegment src, long at, float[] out) {
    float d = half(src, at + 208);
    long ql = at;
    long qh = at + 128;
    long sc = at + 192;
    int y = 0;
    for (int n = 0; n < 256; n += 128) {
      for (int l = 0; l < 32; l++) {
        int is = l / 16;
        int h = u8(src, qh + l);
        int q1 = ((u8(src, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
        int q2 = ((u8(src, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
        int q3 = ((u8(src, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
        int q4 = ((u8(src, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
        out[y + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
        out[y + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
        out[y + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}
