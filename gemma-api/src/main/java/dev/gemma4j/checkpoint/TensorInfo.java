package dev.gemma4j.checkpoint;

import java.nio.file.Path;
import java.util.List;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the tensor's name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype element type
 * @param shape dimensions, outermost first
 * @param file the file that holds it
 * @param fileOffset absolute byte offset of its first element in {@code file}
 * @param byteLength bytes it occupies
 */
public record TensorInfo(
    String name, DType dtype, List<Long> shape, Path file, long fileOffset, long byteLength) {

  /** Copies the shape. */
  public TensorInfo {
    shape = List.copyOf(shape);
  }

  /** Number of elements. */
  public long elementCount() {
    return elementCount(shape);
  }

  /** The product of {@code dims}: a tensor's elements, whichever order its file lists them in. */
  static long elementCount(List<Long> dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /** Size of the outermost dimension (1 for a scalar). */
  public long rows() {
    return shape.isEmpty() ? 1 : shape.getFirst();
  }

  /** Elements in one row: the product of all dimensions but the first. */
  public long rowLength() {
    return shape.isEmpty() ? 1 : elementCount() / Math.max(1, shape.getFirst());
  }

  /** The shape written like {@code [256000, 2304]}. */
  public String shapeText() {
    return shape.toString();
  }
}
