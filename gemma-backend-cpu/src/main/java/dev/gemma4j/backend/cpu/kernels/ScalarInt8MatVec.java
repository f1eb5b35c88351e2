package dev.gemma4j.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link Int8MatVec} in plain Java, in the order the interface defines: where the native kernels do not load,
 * and the reference they are tested against bit for bit. A row's last block may be shorter than 32.
 */
public final class ScalarInt8MatVec implements Int8MatVec {

  @Override
  public void multiply(Int8Activations x, Int8Matrix w, int from, int to, float[] y, int yStride) {
    int in = w.in();
    int blocks = Int8Activations.blocks(in);
    MemorySegment q = w.q();
    byte[] xq = x.q();
    float[] xd = x.scales();
    float[] acc = new float[8];
    for (int m = 0; m < x.rows(); m++) {
      for (int o = from; o < to; o++) {
        long row = (long) o * in;
        java.util.Arrays.fill(acc, 0);
        for (int b = 0; b < blocks; b++) {
          int start = b * Int8Activations.BLOCK;
          int end = Math.min(in, start + Int8Activations.BLOCK);
          int sum = 0;
          for (int i = start; i < end; i++) {
            sum += q.get(ValueLayout.JAVA_BYTE, row + i) * xq[m * in + i];
          }
          acc[b & 7] = Math.fma(xd[m * blocks + b], (float) sum, acc[b & 7]);
        }
        y[m * yStride + o] = w.scale(o) * combine(acc);
      }
    }
  }

  /** The eight partial sums in the order the native kernels add them. */
  static float combine(float[] a) {
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
  }
}
