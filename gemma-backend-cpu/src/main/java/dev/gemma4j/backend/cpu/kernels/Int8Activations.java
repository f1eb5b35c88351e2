package dev.gemma4j.backend.cpu.kernels;

/**
 * Rows of activations quantized to 8 bits for the integer products of {@link Int8MatVec}: each block of 32
 * values (the last one of a row may be shorter) becomes signed bytes {@code q = rint(x / d)} with
 * {@code d = max |x| / 127}, so {@code x ≈ d · q}, as llama.cpp's Q8_0 quantizes its activations. Made once per
 * product, before the threads split the output features.
 */
public final class Int8Activations {
  /** Values per block: one scale each. */
  public static final int BLOCK = 32;

  private final byte[] q;
  private final float[] scales;
  private final int rows;

  private Int8Activations(byte[] q, float[] scales, int rows) {
    this.q = q;
    this.scales = scales;
    this.rows = rows;
  }

  /** Quantizes {@code rows} rows of {@code columns} values, row {@code m} at {@code x[m * columns ..]}. */
  public static Int8Activations quantize(float[] x, int rows, int columns) {
    int blocks = blocks(columns);
    byte[] q = new byte[rows * columns];
    float[] scales = new float[rows * blocks];
    for (int m = 0; m < rows; m++) {
      for (int b = 0; b < blocks; b++) {
        int start = m * columns + b * BLOCK;
        int end = m * columns + Math.min(columns, (b + 1) * BLOCK);
        float max = 0;
        for (int i = start; i < end; i++) {
          max = Math.max(max, Math.abs(x[i]));
        }
        float d = max / 127f;
        float inverse = d == 0 ? 0 : 1f / d;
        scales[m * blocks + b] = d;
        for (int i = start; i < end; i++) {
          q[i] = (byte) Math.rint(x[i] * inverse);
        }
      }
    }
    return new Int8Activations(q, scales, rows);
  }

  /** Blocks per row. */
  static int blocks(int columns) {
    return (columns + BLOCK - 1) / BLOCK;
  }

  /** Rows. */
  public int rows() {
    return rows;
  }

  /** The quantized values, row by row. */
  byte[] q() {
    return q;
  }

  /** The block scales, row by row. */
  float[] scales() {
    return scales;
  }
}
