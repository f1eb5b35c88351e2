package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * An AWQ 4-bit weight {@code W[in, out] = (q - z) · s}, read in place: {@code qweight} is the checkpoint's
 * packed int32 {@code [in, out/8]} (never unpacked or widened in memory), scales and zero points are
 * unpacked once at load into float arrays laid out the way the kernels consume them ("nibble-major"): for
 * group {@code g}, nibble {@code k} and packed column {@code j}, index {@code (g * 8 + k) * packed + j}
 * holds output column {@code 8 * j + ORDER[k]}. They take 1/8 of the packed weight's bytes each at group 64.
 */
public final class AwqMatrix {
  /** Nibble {@code k} of a packed int32 holds output column {@code 8 * j + ORDER[k]} (AutoAWQ's order). */
  static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};
  static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final MemorySegment qweight;
  private final int in;
  private final int out;
  private final int groupSize;
  private final float[] scales;
  private final float[] zeros;

  private AwqMatrix(MemorySegment qweight, int in, int out, int groupSize, float[] scales, float[] zeros) {
    this.qweight = qweight;
    this.in = in;
    this.out = out;
    this.groupSize = groupSize;
    this.scales = scales;
    this.zeros = zeros;
  }

  /**
   * Packed weights with scales and zero points already nibble-major (see the class comment), as the
   * quantizer at load makes them.
   */
  static AwqMatrix ofNibbleMajor(MemorySegment qweight, int in, int out, int groupSize, float[] scales, float[] zeros) {
    return new AwqMatrix(qweight, in, out, groupSize, scales, zeros);
  }

  /**
   * Wraps a checkpoint's AWQ tensors.
   *
   * @param qweight int32 {@code [in, out/8]}
   * @param qzeros int32 {@code [in/group, out/8]}
   * @param scales {@code [in/group, out]} of {@code scaleType}
   */
  public static AwqMatrix of(
      MemorySegment qweight, MemorySegment qzeros, MemorySegment scales, DType scaleType, int in, int out, int groupSize) {
    if (in % groupSize != 0 || out % 8 != 0) {
      throw new IllegalArgumentException(out + " x " + in + " does not divide into groups of " + groupSize + " and packs of 8");
    }
    int packed = out / 8;
    int groups = in / groupSize;
    if (qweight.byteSize() < 4L * in * packed || qzeros.byteSize() < 4L * groups * packed
        || scales.byteSize() < (long) scaleType.bytes() * groups * out) {
      throw new IllegalArgumentException("AWQ tensors smaller than " + out + " x " + in + " needs");
    }
    float[] s = new float[groups * out];
    float[] z = new float[groups * out];
    float[] row = new float[out];
    for (int g = 0; g < groups; g++) {
      Widening.toFloat32(scales, (long) g * out * scaleType.bytes(), scaleType, row, 0, out);
      for (int j = 0; j < packed; j++) {
        int zeroWord = qzeros.get(INT, 4L * ((long) g * packed + j));
        for (int k = 0; k < 8; k++) {
          int index = (g * 8 + k) * packed + j;
          s[index] = row[8 * j + ORDER[k]];
          z[index] = (zeroWord >>> (4 * k)) & 0xF;
        }
      }
    }
    // Unpacked for good: the mapped pages of the packed zeros and scales need not stay resident.
    unload(qzeros);
    unload(scales);
    return new AwqMatrix(qweight, in, out, groupSize, s, z);
  }

  private static void unload(MemorySegment segment) {
    if (segment.isMapped()) {
      segment.unload();
    }
  }

  /** Input features. */
  public int in() {
    return in;
  }

  /** Output features. */
  public int out() {
    return out;
  }

  /** Output features / 8: int32 words per input row. */
  public int packed() {
    return out / 8;
  }

  /** Input features per scale and zero point. */
  public int groupSize() {
    return groupSize;
  }

  /** The packed weights, as the checkpoint stores them. */
  public MemorySegment qweight() {
    return qweight;
  }

  /** Scales, nibble-major (see the class comment). */
  float[] scales() {
    return scales;
  }

  /** Zero points as floats, nibble-major. */
  float[] zeros() {
    return zeros;
  }

  /** Bytes held besides the mapped {@code qweight}: the unpacked scales and zero points. */
  public long unpackedBytes() {
    return 4L * (scales.length + zeros.length);
  }

  /** {@code W[i, o]}, dequantized: for tests and references. */
  public float get(int i, int o) {
    int j = o / 8;
    int k = 0;
    while (ORDER[k] != o % 8) {
      k++;
    }
    int word = qweight.get(INT, 4L * ((long) i * packed() + j));
    int q = (word >>> (4 * k)) & 0xF;
    int index = ((i / groupSize) * 8 + k) * packed() + j;
    return (q - zeros[index]) * scales[index];
  }
}
