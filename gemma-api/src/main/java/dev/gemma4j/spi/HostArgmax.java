package dev.gemma4j.spi;

/** Argmax over rows of logits on the host, the way every backend's device argmax must answer. */
public final class HostArgmax {
  private HostArgmax() {}

  /**
   * The index (from 0) of the largest of {@code values[from .. from + length)}, the lowest among equals,
   * or -1 when one of them is NaN or infinite: such logits come from broken weights or an overflow, and
   * no token chosen from them means anything.
   */
  public static int ofRow(float[] values, int from, int length) {
    int best = 0;
    float max = Float.NEGATIVE_INFINITY;
    boolean finite = true;
    for (int i = 0; i < length; i++) {
      float v = values[from + i];
      finite &= Float.isFinite(v);
      if (v > max) {
        max = v;
        best = i;
      }
    }
    return finite ? best : -1;
  }
}
