package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.gemma4j.backend.cpu.kernels.MatVec;
import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.internal.vector.RowMath;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.Precision;
import java.util.List;

/**
 * Attention of one step on the CPU. This step's keys and values are written to the cache at the slots the
 * block tables give; then each sequence attends over the keys it sees, in its grouped-query form (the
 * {@code group} query heads that share a key/value head are one matrix of rows):
 *
 * <ul>
 *   <li>a sequence with few query rows (decoding) runs in Java, block by block of the cache: scores by the
 *       matrix kernel over the block's keys, then scale, soft-cap, the causal and sliding-window mask,
 *       softmax in float32, and the probabilities times the block's values. No native call, so a batch of
 *       decoding sequences costs what its arithmetic costs;
 *   <li>a long prompt chunk gathers its keys and values and runs as batched matrix products in DJL's
 *       PyTorch engine, which is fastest there.
 * </ul>
 *
 * Rounding follows the reference's bf16 arithmetic when the precision asks for it: after the scores, the
 * scale, each soft-cap operation, the softmax and the output.
 */
final class CpuAttentionStep implements AttentionStep<CpuTensor> {
  /** Sequences with at most this many query rows attend in Java; longer chunks in PyTorch. */
  static final int JAVA_QUERY_ROWS = 16;
  /** 2^16 + 1: Veltkamp's splitter, which keeps the top 8 significant bits of a float32. */
  private static final float BF16_SPLITTER = 65537f;

  private final CpuTensorOps ops;
  private final CpuKvCache cache;
  private final AttentionBatch batch;
  private final float scale;
  private final float softcap;
  /** Per KV-cache group, the slot each query row's key and value go to. */
  private final int[][] writes;

  CpuAttentionStep(CpuTensorOps ops, CpuKvCache cache, AttentionBatch batch, float scale, float softcap) {
    this.ops = ops;
    this.cache = cache;
    this.batch = batch;
    this.scale = scale;
    this.softcap = softcap;
    this.writes = new int[batch.groups()][];
    for (int g = 0; g < writes.length; g++) {
      writes[g] = cache.spec().layersIn(g) > 0 ? batch.writeSlots(g) : new int[0];
    }
  }

  @Override
  public CpuTensor attend(int layer, CpuTensor q, CpuTensor k, CpuTensor v) {
    int group = cache.spec().groupOf(layer);
    int[] slots = writes[group];
    int width = cache.spec().group(layer).width();
    for (int r = 0; r < slots.length; r++) {
      cache.write(layer, slots[r], k.data(), r * width, v.data(), r * width);
    }
    int kvHeads = cache.spec().group(layer).kvHeads();
    CpuTensor out = CpuTensor.zeros(q.rows(), q.columns());
    int sequences = batch.sequences();
    ops.pool().parallelFor(sequences * kvHeads, 1, (from, to) -> {
      for (int task = from; task < to; task++) {
        int s = task / kvHeads;
        if (batch.queryLength(s) <= JAVA_QUERY_ROWS) {
          attendInJava(layer, group, s, task % kvHeads, q, out);
        }
      }
    });
    for (int s = 0; s < sequences; s++) {
      if (batch.queryLength(s) > JAVA_QUERY_ROWS) {
        attendInPyTorch(layer, group, s, q, out);
      }
    }
    return out;
  }

  /** One key/value head of one sequence, in Java. */
  private void attendInJava(int layer, int cacheGroup, int s, int head, CpuTensor q, CpuTensor out) {
    int headDim = cache.spec().group(layer).headDim();
    int group = q.columns() / headDim / cache.spec().group(layer).kvHeads();
    int n = batch.queryLength(s);
    int rows = n * group;
    int first = batch.firstQueryPosition(s);
    int from = batch.firstVisibleKey(s, cacheGroup);
    int keys = batch.contextLength()[s] - from;
    // Queries as rows (query r, head g of the group) = r * group + g.
    float[] queries = new float[rows * headDim];
    for (int r = 0; r < n; r++) {
      int qRow = batch.queryStart()[s] + r;
      for (int g = 0; g < group; g++) {
        System.arraycopy(q.data(), qRow * q.columns() + (head * group + g) * headDim, queries, (r * group + g) * headDim, headDim);
      }
    }
    float[] scores = new float[rows * keys];
    MatVec matVec = ops.matVec();
    int blockSize = batch.blockSize();
    for (int p = from; p < from + keys; ) {
      int count = Math.min(blockSize - p % blockSize, from + keys - p);
      WeightMatrix block = cache.keys(layer, batch.slot(s, p, cacheGroup), count, head);
      matVec.multiply(queries, 0, rows, block, 0, count, scores, p - from, keys);
      p += count;
    }
    scoresToProbabilities(scores, rows, keys, group, first, from, batch.window(cacheGroup));
    float[] attended = new float[rows * headDim];
    for (int p = from; p < from + keys; ) {
      int count = Math.min(blockSize - p % blockSize, from + keys - p);
      WeightMatrix block = cache.values(layer, batch.slot(s, p, cacheGroup), count, head);
      matVec.accumulate(scores, p - from, keys, rows, block, attended, 0);
      p += count;
    }
    ops.round(attended, 0, attended.length);
    for (int r = 0; r < n; r++) {
      int qRow = batch.queryStart()[s] + r;
      for (int g = 0; g < group; g++) {
        System.arraycopy(attended, (r * group + g) * headDim, out.data(), qRow * q.columns() + (head * group + g) * headDim, headDim);
      }
    }
  }

  /**
   * Scale, soft-cap, mask and softmax over each row of scores in place: row {@code r * group + g} is the
   * query at position {@code first + r}, column {@code j} the key at position {@code from + j}.
   */
  private void scoresToProbabilities(float[] scores, int rows, int keys, int group, int first, int from, int window) {
    ops.round(scores, 0, scores.length);
    for (int i = 0; i < scores.length; i++) {
      scores[i] *= scale;
    }
    ops.round(scores, 0, scores.length);
    if (softcap > 0) {
      ops.softcap(scores, 0, scores.length, softcap, scores);
    }
    long reach = window > 0 ? window : Long.MAX_VALUE;
    RowMath math = RowMath.get();
    float[] row = new float[keys];
    float[] weights = new float[keys];
    double[] blockSums = new double[RowMath.blocks(keys)];
    for (int m = 0; m < rows; m++) {
      long query = first + m / group;
      System.arraycopy(scores, m * keys, row, 0, keys);
      for (int j = 0; j < keys; j++) {
        long key = from + j;
        if (key > query || key <= query - reach) {
          row[j] = Float.NEGATIVE_INFINITY;
        }
      }
      float max = math.max(row, keys);
      float total = (float) math.weights(row, keys, max, 1f, Float.NEGATIVE_INFINITY, weights, blockSums);
      for (int j = 0; j < keys; j++) {
        scores[m * keys + j] = weights[j] / total;
      }
    }
    ops.round(scores, 0, scores.length);
  }

  /** One sequence's long chunk as batched matrix products in PyTorch, over all heads at once. */
  private void attendInPyTorch(int layer, int cacheGroup, int s, CpuTensor q, CpuTensor out) {
    int headDim = cache.spec().group(layer).headDim();
    int kvHeads = cache.spec().group(layer).kvHeads();
    int width = cache.spec().group(layer).width();
    int heads = q.columns() / headDim;
    int group = heads / kvHeads;
    int n = batch.queryLength(s);
    int from = batch.firstVisibleKey(s, cacheGroup);
    int keys = batch.contextLength()[s] - from;
    float[] k = new float[keys * width];
    float[] v = new float[keys * width];
    for (int h = 0; h < kvHeads; h++) {
      for (int p = from; p < from + keys; p++) {
        cache.keys(layer, batch.slot(s, p, cacheGroup), 1, h).widenRow(0, k, (p - from) * width + h * headDim);
        cache.values(layer, batch.slot(s, p, cacheGroup), 1, h).widenRow(0, v, (p - from) * width + h * headDim);
      }
    }
    float[] queries = new float[n * q.columns()];
    System.arraycopy(q.data(), batch.queryStart()[s] * q.columns(), queries, 0, queries.length);
    try (NDManager scope = ops.stepManager().newSubManager()) {
      NDArray query = scope.create(queries, new Shape(n, kvHeads, group, headDim)).transpose(1, 2, 0, 3).reshape(kvHeads, group * n, headDim);
      NDArray keysT = scope.create(k, new Shape(keys, kvHeads, headDim)).transpose(1, 2, 0);
      NDArray values = scope.create(v, new Shape(keys, kvHeads, headDim)).transpose(1, 0, 2);
      NDArray mask = scope.create(batch.additiveMask(s, cacheGroup), new Shape(n, keys));
      NDArray scores = round(round(query.matMul(keysT)).mul(scale));
      if (softcap > 0) {
        scores = round(round(round(scores.div(softcap)).tanh()).mul(softcap));
      }
      NDArray weights = round(scores.reshape(kvHeads, group, n, keys).add(mask).softmax(-1)).reshape(kvHeads, group * n, keys);
      NDArray attended = round(weights.matMul(values)).reshape(kvHeads, group, n, headDim).transpose(2, 0, 1, 3).reshape(n, heads * headDim);
      float[] result = attended.toFloatArray();
      System.arraycopy(result, 0, out.data(), batch.queryStart()[s] * q.columns(), result.length);
    }
  }

  /** Rounds to bfloat16 values in PyTorch when the precision asks for it: {@code c - (c - x)} with {@code c = x·(2^16+1)}. */
  private NDArray round(NDArray x) {
    if (ops.precision() == Precision.FLOAT32) {
      return x;
    }
    NDArray c = x.mul(BF16_SPLITTER);
    return c.sub(c.sub(x));
  }
}
