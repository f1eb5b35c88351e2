package dev.gemma4j.backend.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link Elementwise} with the Java Vector API; loaded only through {@link dev.gemma4j.internal.vector.VectorSupport}. */
public final class VectorElementwise implements Elementwise {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  private static final ScalarElementwise TAIL = new ScalarElementwise();

  /** Creates the vector kernels; requires {@code jdk.incubator.vector}. */
  public VectorElementwise() {}

  @Override
  public void geluTanh(float[] g, int from, int to, float[] out) {
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector x = FloatVector.fromArray(F, g, i);
      FloatVector inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI);
      x.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f)).intoArray(out, i);
    }
    TAIL.geluTanh(g, i, to, out);
  }

  @Override
  public void tanh(float[] x, int from, int to, float[] out) {
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector.fromArray(F, x, i).lanewise(VectorOperators.TANH).intoArray(out, i);
    }
    TAIL.tanh(x, i, to, out);
  }

  @Override
  public float sumOfSquares(float[] x, int from, int to) {
    FloatVector acc = FloatVector.zero(F);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector v = FloatVector.fromArray(F, x, i);
      acc = v.fma(v, acc);
    }
    return acc.reduceLanes(VectorOperators.ADD) + TAIL.sumOfSquares(x, i, to);
  }

  @Override
  public void roundToBf16(float[] x, int from, int to) {
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector v = FloatVector.fromArray(F, x, i);
      IntVector bits = v.reinterpretAsInts();
      IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7FFF)).and(0xFFFF0000);
      VectorMask<Float> nan = v.test(VectorOperators.IS_NAN);
      rounded.reinterpretAsFloats().blend(v, nan).intoArray(x, i);
    }
    TAIL.roundToBf16(x, i, to);
  }
}
