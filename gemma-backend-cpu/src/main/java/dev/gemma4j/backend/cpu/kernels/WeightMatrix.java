package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.MemorySegment;

/**
 * A matrix {@code [rows, columns]} as its bytes lie in memory, little-endian, in its own dtype, row
 * {@code r} starting at byte {@code r * rowBytes}: a linear layer's weight {@code [out, in]} or the
 * embedding {@code [vocab, hidden]} (a view of the memory-mapped safetensors file, never a widened copy),
 * or one head's keys or values in a block of the KV cache (rows strided by the cache's row width).
 *
 * @param data the bytes, starting with row 0
 * @param dtype bf16, f16 or f32
 * @param rows output features (or keys)
 * @param columns input features (or head dimensions)
 * @param rowBytes bytes from one row to the next, at least {@code columns * dtype.bytes()}
 */
public record WeightMatrix(MemorySegment data, DType dtype, int rows, int columns, long rowBytes) {

  /** Checks the size. */
  public WeightMatrix {
    long needed = rows == 0 ? 0 : (rows - 1) * rowBytes + (long) columns * dtype.bytes();
    if (rowBytes < (long) columns * dtype.bytes() || data.byteSize() < needed) {
      throw new IllegalArgumentException(rows + " x " + columns + " " + dtype + " rows of " + rowBytes + " bytes do not fit "
          + data.byteSize() + " bytes");
    }
  }

  /** A dense matrix: rows one after the other. */
  public WeightMatrix(MemorySegment data, DType dtype, int rows, int columns) {
    this(data, dtype, rows, columns, (long) columns * dtype.bytes());
  }

  /** Element {@code column} of row {@code row}, as float32. */
  public float get(int row, int column) {
    return Widening.element(data, dtype, row * rowBytes + (long) column * dtype.bytes());
  }

  /** Row {@code row} widened to float32 into {@code out[offset ..]}. */
  public void widenRow(int row, float[] out, int offset) {
    Widening.toFloat32(data, row * rowBytes(), dtype, out, offset, columns);
  }
}
