package dev.gemma4j.backend.cpu.kernels;

import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.internal.quant.WeightQuantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * A weight {@code [out, in]} quantized to 8 bits at load: row {@code o} holds {@code in} signed bytes,
 * {@code W[o, i] = q[o, i] · scale[o]}, symmetric, {@code scale = max |w| / 127} per output.
 */
public final class Int8Matrix {
  private final MemorySegment q;
  private final float[] scales;
  private final int out;
  private final int in;

  private Int8Matrix(MemorySegment q, float[] scales, int out, int in) {
    this.q = q;
    this.scales = scales;
    this.out = out;
    this.in = in;
  }

  /**
   * Quantizes a float weight whose row {@code o} holds output {@code o}'s {@code in} input features.
   *
   * @param name the checkpoint's name of the weight, for the message when it holds a NaN or an infinity
   * @throws dev.gemma4j.config.ModelFormatException when a value is not finite
   */
  public static Int8Matrix quantize(MemorySegment weight, String name, DType dtype, int out, int in, Arena arena) {
    MemorySegment q = arena.allocate((long) out * in, 64);
    float[] scales = new float[out];
    IntStream.range(0, out).parallel().forEach(o -> {
      float[] row = new float[in];
      Widening.toFloat32(weight, (long) o * in * dtype.bytes(), dtype, row, 0, in);
      WeightQuantizer.requireFinite(row, 0, in, name, o);
      float scale = WeightQuantizer.int8Scale(row, 0, in);
      scales[o] = scale;
      for (int i = 0; i < in; i++) {
        q.set(ValueLayout.JAVA_BYTE, (long) o * in + i, WeightQuantizer.int8(row[i], scale));
      }
    });
    return new Int8Matrix(q, scales, out, in);
  }

  /** Output features. */
  public int out() {
    return out;
  }

  /** Input features. */
  public int in() {
    return in;
  }

  /** The signed bytes, row by row. */
  public MemorySegment q() {
    return q;
  }

  float scale(int o) {
    return scales[o];
  }

  /** The scales, one per output. */
  float[] scales() {
    return scales;
  }

  /** Bytes held: the weights and their scales. */
  public long bytes() {
    return q.byteSize() + 4L * scales.length;
  }

  /** {@code W[o, i]}, dequantized: for tests and references. */
  public float get(int o, int i) {
    return q.get(ValueLayout.JAVA_BYTE, (long) o * in + i) * scales[o];
  }
}
