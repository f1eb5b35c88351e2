package dev.gemma4j.backend.cpu;

import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.spi.Precision;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float32 copies of checkpoint tensors in native memory, for PyTorch to wrap without another copy.
 *
 * <p>float32 tensors are served straight from the memory-mapped file when the math is float32. Every
 * other case (bfloat16 or float16 stored, or bfloat16 math) is widened here, in Java, because DJL 0.36
 * aborts the JVM on any bfloat16 NDArray. The memory lives until {@link #close()}, which must come after
 * the NDArrays that wrap it are closed.
 */
final class HostWeights implements AutoCloseable {
  /** Elements widened per pass; keeps each {@link ByteBuffer} view well under 2 GiB. */
  private static final int WIDEN_CHUNK = 1 << 24;

  private final Arena arena = Arena.ofShared();
  private long allocatedBytes;
  private boolean mappedInPlace;

  /**
   * Rows {@code [rowFrom, rowFrom + rowCount)} of a tensor as float32 little-endian bytes, rounded to
   * the precision. The result is at most 2 GiB; callers split larger tensors by rows.
   */
  ByteBuffer float32Rows(
      Checkpoint checkpoint, TensorInfo tensor, long rowFrom, long rowCount, Precision precision) {
    long elements = rowCount * tensor.rowLength();
    long sourceOffset = rowFrom * tensor.rowLength() * tensor.dtype().bytes();
    MemorySegment source =
        checkpoint.segment(tensor, sourceOffset, elements * tensor.dtype().bytes());
    if (elements * 4 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(tensor.name() + ": " + rowCount + " rows exceed 2 GiB");
    }
    if (tensor.dtype() == DType.F32 && precision == Precision.FLOAT32) {
      mappedInPlace = true;
      return source.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
    MemorySegment target = arena.allocate(elements * 4, 64);
    allocatedBytes += elements * 4;
    for (long done = 0; done < elements; done += WIDEN_CHUNK) {
      int count = (int) Math.min(WIDEN_CHUNK, elements - done);
      ByteBuffer in =
          source.asSlice(done * tensor.dtype().bytes(), (long) count * tensor.dtype().bytes()).asByteBuffer();
      ByteBuffer out = target.asSlice(done * 4, count * 4L).asByteBuffer();
      tensor.dtype().widenToFloat32(in, out, count);
    }
    if (precision != Precision.FLOAT32 && tensor.dtype() != DType.BF16) {
      roundInPlace(target, elements, precision);
    }
    return target.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void roundInPlace(MemorySegment values, long count, Precision precision) {
    ValueLayout.OfFloat layout = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    for (long i = 0; i < count; i++) {
      values.setAtIndex(layout, i, precision.round(values.getAtIndex(layout, i)));
    }
  }

  /** Whether some tensor is used in place from the memory-mapped checkpoint. */
  boolean mappedInPlace() {
    return mappedInPlace;
  }

  /** Native bytes allocated for widened copies (memory-mapped float32 tensors are not counted). */
  long allocatedBytes() {
    return allocatedBytes;
  }

  @Override
  public void close() {
    arena.close();
  }
}
