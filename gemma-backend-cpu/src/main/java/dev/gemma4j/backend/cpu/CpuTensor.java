package dev.gemma4j.backend.cpu;

/**
 * A step's tensor on the CPU: {@code [rows, columns]} float32 values, row-major, on the Java heap. Decode
 * steps are a few rows, where calling into a native library per operation would cost more than the
 * arithmetic.
 *
 * @param data at least {@code rows * columns} values
 * @param rows rows (tokens of the step)
 * @param columns values per row
 */
record CpuTensor(float[] data, int rows, int columns) {

  CpuTensor {
    if (rows < 0 || columns < 0 || data.length < (long) rows * columns) {
      throw new IllegalArgumentException(data.length + " values do not hold " + rows + " x " + columns);
    }
  }

  /** A new zeroed tensor. */
  static CpuTensor zeros(int rows, int columns) {
    return new CpuTensor(new float[rows * columns], rows, columns);
  }

  /** Values in all. */
  int size() {
    return rows * columns;
  }
}
