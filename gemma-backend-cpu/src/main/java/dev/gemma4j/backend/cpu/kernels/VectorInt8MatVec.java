package dev.gemma4j.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Int8MatVec} with the Java Vector API: each weight vector is loaded as bytes, widened to float32
 * in registers and serves up to two rows of {@code x}. Loaded only through
 * {@link dev.gemma4j.internal.vector.VectorSupport}.
 */
public final class VectorInt8MatVec implements Int8MatVec {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
  private static final int LANES = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Creates the vector kernel; requires {@code jdk.incubator.vector}. */
  public VectorInt8MatVec() {
    if (B.length() != LANES) {
      throw new IllegalStateException("byte and float vectors differ in lanes");
    }
  }

  @Override
  public void multiply(float[] x, int rows, Int8Matrix w, int from, int to, float[] y, int yStride) {
    int in = w.in();
    int vectorEnd = in - in % LANES;
    MemorySegment q = w.q();
    for (int o = from; o < to; o++) {
      long row = (long) o * in;
      float scale = w.scale(o);
      int m = 0;
      for (; m + 1 < rows; m += 2) {
        float[] pair = dot2(q, row, x, m * in, (m + 1) * in, vectorEnd);
        y[m * yStride + o] = scale * (pair[0] + ScalarInt8MatVec.dot(x, m * in, w, o, vectorEnd, in));
        y[(m + 1) * yStride + o] = scale * (pair[1] + ScalarInt8MatVec.dot(x, (m + 1) * in, w, o, vectorEnd, in));
      }
      for (; m < rows; m++) {
        y[m * yStride + o] = scale * (dot1(q, row, x, m * in, vectorEnd) + ScalarInt8MatVec.dot(x, m * in, w, o, vectorEnd, in));
      }
    }
  }

  private static FloatVector load(MemorySegment q, long offset) {
    return (FloatVector) ByteVector.fromMemorySegment(B, q, offset, LE).convertShape(VectorOperators.B2F, F, 0);
  }

  private static float dot1(MemorySegment q, long row, float[] x, int xm, int vectorEnd) {
    FloatVector a = FloatVector.zero(F);
    FloatVector b = a;
    int i = 0;
    for (; i + 2 * LANES <= vectorEnd; i += 2 * LANES) {
      a = FloatVector.fromArray(F, x, xm + i).fma(load(q, row + i), a);
      b = FloatVector.fromArray(F, x, xm + i + LANES).fma(load(q, row + i + LANES), b);
    }
    for (; i < vectorEnd; i += LANES) {
      a = FloatVector.fromArray(F, x, xm + i).fma(load(q, row + i), a);
    }
    return a.add(b).reduceLanes(VectorOperators.ADD);
  }

  private static float[] dot2(MemorySegment q, long row, float[] x, int xa, int xb, int vectorEnd) {
    FloatVector a = FloatVector.zero(F);
    FloatVector b = a;
    for (int i = 0; i < vectorEnd; i += LANES) {
      FloatVector v = load(q, row + i);
      a = FloatVector.fromArray(F, x, xa + i).fma(v, a);
      b = FloatVector.fromArray(F, x, xb + i).fma(v, b);
    }
    return new float[] {a.reduceLanes(VectorOperators.ADD), b.reduceLanes(VectorOperators.ADD)};
  }
}
