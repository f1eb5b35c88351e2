package dev.gemma4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.BlockTables;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheGroup;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.TensorOps;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A backend check any backend's tests run: a KV cache of groups with their own window, block table and head
 * shape (the shape Gemma 4's wide full-attention heads need), written and read by the backend's attention
 * over a prompt long enough for its batched path and one decode step, against a direct computation.
 */
public final class KvCacheGroupsCheck {
  /** Layer 0: full attention, 1 KV head of 4 (2 query heads). Layer 1: window 5, 2 KV heads of 2 (4 query heads). */
  private static final KvCacheSpec SPEC = new KvCacheSpec(List.of(0, 1), List.of(
      new KvCacheGroup(0, 1, 24, 1, 4), new KvCacheGroup(5, 1, 24, 2, 2)));
  /** Each group's slot of every position: two different shuffles of its 24 blocks. */
  private static final int[][] TABLES = {shuffled(24, 1), shuffled(24, 2)};
  private static final double SCALE = 0.5;

  private KvCacheGroupsCheck() {}

  /**
   * Runs the check on {@code ops} (float32 math).
   *
   * @param prompt the prompt's length: more rows than the backend's per-row path takes
   */
  public static <T> void check(TensorOps<T> ops, int prompt, double tolerance) {
    Random random = new Random(5);
    int positions = prompt + 1;
    float[][] q = {values(random, positions * 8), values(random, positions * 8)};
    float[][] k = {values(random, positions * 4), values(random, positions * 4)};
    float[][] v = {values(random, positions * 4), values(random, positions * 4)};
    KvCache cache = ops.execute(() -> ops.allocateKvCache(SPEC));
    try {
      float[][] first = run(ops, cache, q, k, v, 0, prompt);
      float[][] decode = run(ops, cache, q, k, v, prompt, 1);
      for (int layer = 0; layer < 2; layer++) {
        KvCacheGroup group = SPEC.group(layer);
        float[] expected = reference(q[layer], k[layer], v[layer], 8 / group.headDim(), group.kvHeads(),
            group.headDim(), positions, group.window());
        for (int i = 0; i < prompt * 8; i++) {
          assertEquals(expected[i], first[layer][i], tolerance, "layer " + layer + " prompt value " + i);
        }
        for (int i = 0; i < 8; i++) {
          assertEquals(expected[prompt * 8 + i], decode[layer][i], tolerance, "layer " + layer + " decode value " + i);
        }
      }
    } finally {
      ops.execute(() -> {
        cache.close();
        return null;
      });
    }
  }

  /** Both layers' attention outputs for positions {@code [start, start + count)}. */
  private static <T> float[][] run(TensorOps<T> ops, KvCache cache, float[][] q, float[][] k, float[][] v, int start, int count) {
    List<BlockTables> tables = List.of(
        BlockTables.of(new int[][] {Arrays.copyOf(TABLES[0], start + count)}),
        BlockTables.of(new int[][] {Arrays.copyOf(TABLES[1], start + count)}));
    int[] windows = SPEC.groups().stream().mapToInt(KvCacheGroup::window).toArray();
    AttentionBatch batch = new AttentionBatch(1, windows, new int[] {0, count}, new int[] {start + count}, tables);
    return ops.execute(() -> {
      float[][] out = new float[2][];
      try (TensorOps.Step ignored = ops.openStep()) {
        AttentionStep<T> step = ops.prepareAttention(batch, cache, SCALE, 0);
        for (int layer = 0; layer < 2; layer++) {
          out[layer] = ops.toHost(step.attend(layer,
              ops.fromHost(Arrays.copyOfRange(q[layer], start * 8, (start + count) * 8), count, 8),
              ops.fromHost(Arrays.copyOfRange(k[layer], start * 4, (start + count) * 4), count, 4),
              ops.fromHost(Arrays.copyOfRange(v[layer], start * 4, (start + count) * 4), count, 4)));
        }
        step.finish();
      }
      return out;
    });
  }

  /** Causal grouped-query attention of every position, within {@code window} keys where it is set. */
  private static float[] reference(float[] q, float[] k, float[] v, int heads, int kvHeads, int headDim, int n, int window) {
    float[] out = new float[n * heads * headDim];
    for (int i = 0; i < n; i++) {
      for (int h = 0; h < heads; h++) {
        int kv = h / (heads / kvHeads);
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
          boolean visible = j <= i && (window == 0 || j > i - window);
          double dot = 0;
          for (int d = 0; d < headDim; d++) {
            dot += q[(i * heads + h) * headDim + d] * k[(j * kvHeads + kv) * headDim + d];
          }
          s[j] = visible ? dot * SCALE : Double.NEGATIVE_INFINITY;
          max = Math.max(max, s[j]);
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
          z += Math.exp(s[j] - max);
        }
        for (int d = 0; d < headDim; d++) {
          double acc = 0;
          for (int j = 0; j < n; j++) {
            acc += Math.exp(s[j] - max) / z * v[(j * kvHeads + kv) * headDim + d];
          }
          out[(i * heads + h) * headDim + d] = (float) acc;
        }
      }
    }
    return out;
  }

  private static int[] shuffled(int n, long seed) {
    List<Integer> slots = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, n).boxed().toList());
    java.util.Collections.shuffle(slots, new Random(seed));
    return slots.stream().mapToInt(Integer::intValue).toArray();
  }

  private static float[] values(Random random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }
}
