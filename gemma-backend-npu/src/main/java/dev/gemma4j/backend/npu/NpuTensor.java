package dev.gemma4j.backend.npu;

import java.util.Arrays;

/**
 * A view of device memory: shape, strides and offset in elements, as {@code aclCreateTensor} takes them.
 * The address belongs to CANN; Java never reads it.
 *
 * @param address the device allocation
 * @param storageElements elements the allocation holds
 * @param dtype element type
 * @param shape dimensions, outermost first
 * @param strides elements between neighbours along each dimension
 * @param offset elements from the allocation's start to the view's first element
 */
record NpuTensor(long address, long storageElements, AclDType dtype, long[] shape, long[] strides, long offset) {

  /** A contiguous row-major tensor over a whole allocation. */
  static NpuTensor contiguous(long address, AclDType dtype, long... shape) {
    return new NpuTensor(address, Arrays.stream(shape).reduce(1, Math::multiplyExact), dtype, shape.clone(), rowMajor(shape), 0);
  }

  static long[] rowMajor(long[] shape) {
    long[] strides = new long[shape.length];
    long s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= shape[i];
    }
    return strides;
  }

  long elements() {
    return Arrays.stream(shape).reduce(1, Math::multiplyExact);
  }

  long dim(int i) {
    return shape[i < 0 ? shape.length + i : i];
  }

  boolean isContiguous() {
    return Arrays.equals(strides, rowMajor(shape));
  }

  /** Another view of the same memory. */
  NpuTensor view(long[] newShape, long[] newStrides, long newOffset) {
    return new NpuTensor(address, storageElements, dtype, newShape, newStrides, newOffset);
  }

  /** A contiguous tensor seen with another shape of the same size. */
  NpuTensor reshape(long... newShape) {
    if (!isContiguous()) {
      throw new IllegalStateException("reshape of a strided view");
    }
    if (Arrays.stream(newShape).reduce(1, Math::multiplyExact) != elements()) {
      throw new IllegalArgumentException(Arrays.toString(shape) + " cannot become " + Arrays.toString(newShape));
    }
    return view(newShape.clone(), rowMajor(newShape), offset);
  }

  /** The transpose of a 2-D tensor, as a strided view. */
  NpuTensor transposed() {
    if (shape.length != 2) {
      throw new IllegalStateException("transpose of a " + shape.length + "-D tensor");
    }
    return view(new long[] {shape[1], shape[0]}, new long[] {strides[1], strides[0]}, offset);
  }

  /** Rows {@code [from, from + count)} of a contiguous 2-D tensor. */
  NpuTensor rows(long from, long count) {
    return view(new long[] {count, shape[1]}, strides.clone(), offset + from * strides[0]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpuTensor t && address == t.address && dtype == t.dtype && offset == t.offset
        && Arrays.equals(shape, t.shape) && Arrays.equals(strides, t.strides);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(address) * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape) + "@" + Long.toHexString(address) + "+" + offset;
  }
}
