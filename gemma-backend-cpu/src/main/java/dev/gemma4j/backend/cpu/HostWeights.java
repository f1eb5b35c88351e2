package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.AwqMatrix;
import dev.gemma4j.backend.cpu.kernels.Int4Quantizer;
import dev.gemma4j.backend.cpu.kernels.Int8Matrix;
import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.backend.cpu.kernels.Widening;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.Precision;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Checkpoint tensors in the form the CPU backend computes with. Matrices stay where they are, in the
 * memory-mapped file and in the checkpoint's dtype, and the kernels read them there; only bfloat16 math
 * over a wider checkpoint gets a bf16-rounded copy (half the file's size for float32), since the
 * reference rounds the weights too. Small vectors (norm weights) are widened onto the Java heap.
 */
final class HostWeights implements AutoCloseable {
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Arena arena = Arena.ofShared();
  private final Precision precision;
  private long copiedBytes;
  private long mappedBytes;

  HostWeights(Precision precision) {
    this.precision = precision;
  }

  /** A 2-D tensor as a {@link WeightMatrix}: the mapped bytes, or a bf16 copy for bf16 math. */
  WeightMatrix matrix(Checkpoint checkpoint, TensorInfo tensor) {
    int rows = Math.toIntExact(tensor.shape().get(0));
    int columns = Math.toIntExact(tensor.shape().get(1));
    MemorySegment mapped = checkpoint.segment(tensor, 0, tensor.byteLength());
    if (precision == Precision.FLOAT32 || tensor.dtype() == DType.BF16) {
      mappedBytes += tensor.byteLength();
      return new WeightMatrix(mapped, tensor.dtype(), rows, columns);
    }
    long elements = (long) rows * columns;
    MemorySegment copy = arena.allocate(elements * 2, 64);
    float[] row = new float[columns];
    for (int r = 0; r < rows; r++) {
      Widening.toFloat32(mapped, (long) r * columns * tensor.dtype().bytes(), tensor.dtype(), row, 0, columns);
      for (int c = 0; c < columns; c++) {
        copy.set(SHORT, 2 * ((long) r * columns + c), (short) (Float.floatToRawIntBits(precision.round(row[c])) >>> 16));
      }
    }
    copiedBytes += elements * 2;
    release(mapped);
    return new WeightMatrix(copy, DType.BF16, rows, columns);
  }

  /**
   * An AWQ weight: the packed int32 weights copied into the kernels' strip order (the same bytes; their
   * mapped pages released), scales and zero points unpacked.
   */
  AwqMatrix awq(Checkpoint checkpoint, LinearSource.Awq source) {
    TensorInfo q = source.qweight();
    TensorInfo z = source.qzeros();
    TensorInfo s = source.scales();
    MemorySegment qweight = checkpoint.segment(q, 0, q.byteLength());
    MemorySegment qzeros = checkpoint.segment(z, 0, z.byteLength());
    MemorySegment scales = checkpoint.segment(s, 0, s.byteLength());
    AwqMatrix matrix = AwqMatrix.of(
        qweight, qzeros, scales, s.dtype(), source.inFeatures(), source.outFeatures(), source.groupSize(), arena);
    release(qweight);
    release(qzeros);
    release(scales);
    copiedBytes += matrix.bytes();
    return matrix;
  }

  /**
   * A float weight quantized to 4 bits: packed into native memory, its mapped pages released from this
   * process (the file stays mapped for the tensors read in place).
   */
  AwqMatrix int4(Checkpoint checkpoint, LinearSource.QuantizeAtLoad source) {
    TensorInfo t = source.weight();
    MemorySegment mapped = checkpoint.segment(t, 0, t.byteLength());
    AwqMatrix matrix = Int4Quantizer.quantize(
        mapped, t.name(), t.dtype(), source.outFeatures(), source.inFeatures(), source.groupSize(), arena);
    release(mapped);
    copiedBytes += matrix.bytes();
    return matrix;
  }

  /** A float weight quantized to 8 bits per output; its mapped pages released from this process. */
  Int8Matrix int8(Checkpoint checkpoint, LinearSource.QuantizeAtLoad source) {
    TensorInfo t = source.weight();
    MemorySegment mapped = checkpoint.segment(t, 0, t.byteLength());
    Int8Matrix matrix = Int8Matrix.quantize(mapped, t.name(), t.dtype(), source.outFeatures(), source.inFeatures(), arena);
    release(mapped);
    copiedBytes += matrix.bytes();
    return matrix;
  }

  /**
   * Releases the mapped pages a copy was made from: the copy serves from now on (the file stays mapped for
   * the tensors read in place).
   */
  private static void release(MemorySegment mapped) {
    if (mapped.isMapped()) {
      mapped.unload();
    }
  }

  /** A 1-D tensor widened to float32, rounded to the math precision. */
  float[] vector(Checkpoint checkpoint, TensorInfo tensor) {
    int n = Math.toIntExact(tensor.elementCount());
    float[] values = new float[n];
    Widening.toFloat32(checkpoint.segment(tensor, 0, tensor.byteLength()), 0, tensor.dtype(), values, 0, n);
    copiedBytes += 4L * n;
    if (tensor.dtype() != DType.BF16) {
      for (int i = 0; i < n; i++) {
        values[i] = precision.round(values[i]);
      }
    }
    return values;
  }

  /** Whether some matrix is read in place from the memory-mapped checkpoint. */
  boolean mappedInPlace() {
    return mappedBytes > 0;
  }

  /** Bytes of weights: mapped in place plus copied (norm weights widened onto the heap included). */
  long bytes() {
    return mappedBytes + copiedBytes;
  }

  @Override
  public void close() {
    arena.close();
  }
}
