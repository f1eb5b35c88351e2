package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * An AWQ 4-bit weight {@code W[in, out] = (q - z) · s}, kept packed: eight 4-bit values per int32 word,
 * word {@code (i, j)} holding input {@code i}'s outputs {@code 8j .. 8j + 7} in AutoAWQ's nibble order (never
 * unpacked or widened in memory). The words are reordered once at load into strips of {@link #STRIP}
 * packed columns, each strip's input rows one after the other (see {@link #offset}): a kernel then reads a
 * strip front to back, one 64-byte line per input row, with its sums in registers, where the checkpoint's
 * input-major layout would have it jump a whole row between loads. Scales and zero points are unpacked
 * once at load into float arrays laid out the way the kernels consume them ("nibble-major"): for group
 * {@code g}, nibble {@code k} and packed column {@code j}, index {@code (g * 8 + k) * packed + j} holds
 * output column {@code 8 * j + ORDER[k]}. They take 1/8 of the packed weight's bytes each at group 64.
 */
public final class AwqMatrix {
  /** Nibble {@code k} of a packed int32 holds output column {@code 8 * j + ORDER[k]} (AutoAWQ's order). */
  static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};
  static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Packed columns per strip: 64 bytes, a cache line, per input row. */
  public static final int STRIP = 16;

  private final MemorySegment words;
  private final int in;
  private final int out;
  private final int groupSize;
  private final float[] scales;
  private final float[] zeros;

  private AwqMatrix(MemorySegment words, int in, int out, int groupSize, float[] scales, float[] zeros) {
    this.words = words;
    this.in = in;
    this.out = out;
    this.groupSize = groupSize;
    this.scales = scales;
    this.zeros = zeros;
  }

  /**
   * Where word {@code (i, j)} of a {@code [in, packed]} matrix lies, in bytes: the packed columns of the
   * whole strips strip by strip (strip {@code j / STRIP}, then row {@code i}, then {@code j % STRIP}); the
   * columns past the last whole strip after them, row by row.
   */
  static long offset(int in, int packed, int i, int j) {
    int stripped = packed / STRIP * STRIP;
    if (j < stripped) {
      return 4L * (((long) (j / STRIP) * in + i) * STRIP + j % STRIP);
    }
    return 4L * ((long) stripped * in + (long) i * (packed - stripped) + (j - stripped));
  }

  /** Byte offset of strip {@code s}'s first row. */
  static long stripOffset(int in, int s) {
    return 4L * STRIP * in * s;
  }

  /**
   * Packed words already in strip order ({@link #offset}), with scales and zero points nibble-major, as the
   * quantizer at load makes them.
   */
  static AwqMatrix ofStripMajor(MemorySegment words, int in, int out, int groupSize, float[] scales, float[] zeros) {
    return new AwqMatrix(words, in, out, groupSize, scales, zeros);
  }

  /**
   * A checkpoint's AWQ tensors: the packed weights copied into strip order in {@code arena}, scales and zero
   * points unpacked; nothing refers to the given segments afterwards.
   *
   * @param qweight int32 {@code [in, out/8]}
   * @param qzeros int32 {@code [in/group, out/8]}
   * @param scales {@code [in/group, out]} of {@code scaleType}
   */
  public static AwqMatrix of(
      MemorySegment qweight, MemorySegment qzeros, MemorySegment scales, DType scaleType, int in, int out, int groupSize,
      Arena arena) {
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
    MemorySegment words = arena.allocate(4L * in * packed, 64);
    int stripped = packed / STRIP * STRIP;
    for (int i = 0; i < in; i++) {
      long source = 4L * i * packed;
      for (int j = 0; j < stripped; j += STRIP) {
        MemorySegment.copy(qweight, source + 4L * j, words, offset(in, packed, i, j), 4L * STRIP);
      }
      if (stripped < packed) {
        MemorySegment.copy(qweight, source + 4L * stripped, words, offset(in, packed, i, stripped), 4L * (packed - stripped));
      }
    }
    return new AwqMatrix(words, in, out, groupSize, s, z);
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

  /** The packed words in strip order ({@link #offset}). */
  MemorySegment words() {
    return words;
  }

  /** Word {@code (i, j)}: input {@code i}'s eight 4-bit values of outputs {@code 8j .. 8j + 7}. */
  int word(int i, int j) {
    return words.get(INT, offset(in, packed(), i, j));
  }

  /** Scales, nibble-major (see the class comment). */
  float[] scales() {
    return scales;
  }

  /** Zero points as floats, nibble-major. */
  float[] zeros() {
    return zeros;
  }

  /** Bytes held: the packed words plus the unpacked scales and zero points. */
  public long bytes() {
    return words.byteSize() + 4L * (scales.length + zeros.length);
  }

  /** {@code W[i, o]}, dequantized: for tests and references. */
  public float get(int i, int o) {
    int j = o / 8;
    int k = 0;
    while (ORDER[k] != o % 8) {
      k++;
    }
    int q = (word(i, j) >>> (4 * k)) & 0xF;
    int index = ((i / groupSize) * 8 + k) * packed() + j;
    return (q - zeros[index]) * scales[index];
  }
}
