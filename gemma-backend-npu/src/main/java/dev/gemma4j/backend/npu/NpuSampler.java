package dev.gemma4j.backend.npu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.gemma4j.TopLogits;
import dev.gemma4j.spi.SampledRows;
import dev.gemma4j.spi.SamplingRow;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sampling on the device for {@link NpuTensorOps#sampleRows}: Hugging Face's filters as masks over each sorted
 * row, and the draw as the inverse of the kept mass at the host's uniform number, in a number of launches that
 * does not depend on the batch.
 */
final class NpuSampler {
  private final NpuTensorOps ops;
  private final Map<Integer, PositionTables> positionTables = new HashMap<>();

  NpuSampler(NpuTensorOps ops) {
    this.ops = ops;
  }

  /**
   * Every row's token drawn on the device in a fixed number of launches, whatever the batch: the row is
   * sorted (descending, stable: equal logits keep id order) and divided by its temperature, its softmax
   * summed up, and the three filters become masks over the sorted row, each keeping a prefix: top-k
   * ({@code position < k}), top-p over the top-k's mass ({@code mass ahead < p * topKMass}) and min-p
   * ({@code p >= minP * p0}). The token is the first kept position whose running sum reaches
   * {@code uniform * keptMass}; prefix maxima ({@code MaxDim}) stand in for sums and counts. Eight bytes per
   * row come back (the id, and the largest logit so a row that is not finite answers -1), plus eight per top
   * logit for the rows that ask for them.
   */
  SampledRows sample(NpuTensor logits, int columns, SamplingRow[] draws) {
    int rows = draws.length;
    float[] params = new float[rows * 5];
    long[] rowStart = new long[rows];
    int wantedTop = 0;
    for (int r = 0; r < rows; r++) {
      SamplingRow d = draws[r];
      params[r * 5] = 1f / d.temperature();
      params[r * 5 + 1] = d.topK() == 0 ? columns : Math.min(d.topK(), columns);
      params[r * 5 + 2] = d.topP();
      params[r * 5 + 3] = d.minP();
      params[r * 5 + 4] = d.uniform();
      rowStart[r] = (long) r * columns;
      wantedTop = Math.max(wantedTop, Math.min(d.topLogits(), columns));
    }
    NpuTensor table = ops.uploadFloats(params, rows, 5);
    NpuTensor inverseTemperature = column(table, 0);
    NpuTensor topK = column(table, 1);
    NpuTensor topP = column(table, 2);
    NpuTensor minP = column(table, 3);
    NpuTensor uniform = column(table, 4);
    PositionTables positions = positions(columns);

    NpuTensor raw = ops.allocate(AclDType.FLOAT, rows, columns);
    NpuTensor order = ops.allocate(AclDType.INT64, rows, columns);
    ops.nn().run("aclnnSort", ops.as(logits, AclDType.FLOAT), true, -1L, true, raw, order);
    NpuTensor sorted = binary("aclnnMul", raw, inverseTemperature, rows, columns);
    NpuTensor p = ops.allocate(AclDType.FLOAT, rows, columns);
    ops.nn().run("aclnnSoftmax", sorted, -1L, p);
    NpuTensor running = ops.allocate(AclDType.FLOAT, rows, columns);
    ops.nn().run("aclnnCumsum", p, -1L, new Aclnn.DType(AclDType.FLOAT), running);

    NpuTensor keepK = binary("aclnnLtTensor", positions.fromZero(), topK, rows, columns);
    NpuTensor topKMass = prefixMax(binary("aclnnMul", keepK, running, rows, columns));
    NpuTensor ahead = ops.allocate(AclDType.FLOAT, rows, columns);
    ops.nn().run("aclnnAdd", running, p, new Aclnn.Scalar(-1f), ahead);
    NpuTensor keepP = binary("aclnnLtTensor", ahead, binary("aclnnMul", topKMass, topP, rows, 1), rows, columns);
    NpuTensor mostLikely = p.view(new long[] {rows, 1}, new long[] {columns, 1}, 0);
    NpuTensor keepMin = binary("aclnnGeTensor", p, binary("aclnnMul", mostLikely, minP, rows, 1), rows, columns);
    NpuTensor keep = binary("aclnnMul", binary("aclnnMul", keepK, keepP, rows, columns), keepMin, rows, columns);

    NpuTensor keptMass = prefixMax(binary("aclnnMul", keep, running, rows, columns));
    NpuTensor target = binary("aclnnMul", keptMass, uniform, rows, 1);
    NpuTensor below = binary("aclnnMul", binary("aclnnLtTensor", running, target, rows, columns), keep, rows, columns);
    NpuTensor position = prefixMax(binary("aclnnMul", below, positions.fromOne(), rows, columns));
    // The position within a row is exact in float32 (below 2^24); the index into the whole sorted table is
    // not (70 rows of 256,000 pass 2^24), so it is summed in INT64.
    NpuTensor flat = ops.allocate(AclDType.INT64, rows, 1);
    ops.nn().run("aclnnAdd", ops.as(position, AclDType.INT64), ops.uploadLongs(rowStart, rows, 1),
        new Aclnn.IntScalar(1), flat);
    NpuTensor tokens = ops.allocate(AclDType.INT64, rows, 1);
    ops.nn().run("aclnnIndexSelect", order.reshape((long) rows * columns, 1), 0L, flat.reshape(rows), tokens);
    NpuTensor ids = ops.as(tokens, AclDType.INT32);
    int n = Math.max(wantedTop, 1); // the largest logit is the first sorted one
    NpuTensor topValues = ops.contiguous(raw.view(new long[] {rows, n}, new long[] {columns, 1}, 0));
    NpuTensor topIds = wantedTop > 0 ? ops.as(ops.contiguous(order.view(new long[] {rows, n}, new long[] {columns, 1}, 0)), AclDType.INT32) : null;
    ops.synchronize();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment hostIds = arena.allocate(rows * 4L);
      MemorySegment hostValues = arena.allocate((long) rows * n * 4);
      ops.download(hostIds, ids);
      ops.download(hostValues, topValues);
      int[] chosen = hostIds.toArray(ValueLayout.JAVA_INT);
      float[] values = hostValues.toArray(JAVA_FLOAT);
      int[] bestIds = null;
      if (topIds != null) {
        MemorySegment hostTop = arena.allocate((long) rows * n * 4);
        ops.download(hostTop, topIds);
        bestIds = hostTop.toArray(ValueLayout.JAVA_INT);
      }
      TopLogits[] top = new TopLogits[rows];
      for (int r = 0; r < rows; r++) {
        chosen[r] = Float.isFinite(values[r * n]) ? chosen[r] : -1;
        int k = Math.min(draws[r].topLogits(), columns);
        if (k > 0) {
          List<Integer> best = new ArrayList<>(k);
          List<Float> logitsOfBest = new ArrayList<>(k);
          for (int i = 0; i < k; i++) {
            best.add(bestIds[r * n + i]);
            logitsOfBest.add(values[r * n + i]);
          }
          top[r] = new TopLogits(best, logitsOfBest);
        }
      }
      return new SampledRows(chosen, top);
    }
  }

  private static NpuTensor column(NpuTensor table, int c) {
    return table.view(new long[] {table.dim(0), 1}, new long[] {table.dim(1), 1}, table.offset() + c);
  }

  /** {@code op(a, b)} broadcast to a new float32 {@code [rows, columns]}. */
  private NpuTensor binary(String op, NpuTensor a, NpuTensor b, long rows, long columns) {
    NpuTensor out = ops.allocate(AclDType.FLOAT, rows, columns);
    ops.nn().run(op, a, b, out);
    return out;
  }

  /** Each row's maximum as {@code [rows, 1]}: of a row that only grows, its last kept value. */
  private NpuTensor prefixMax(NpuTensor x) {
    NpuTensor maxima = ops.allocate(AclDType.FLOAT, x.dim(0), 1);
    NpuTensor where = ops.allocate(AclDType.INT64, x.dim(0));
    ops.nn().run("aclnnMaxDim", x, -1L, false, maxima.reshape(x.dim(0)), where);
    return maxima;
  }

  /** {@code [1, columns]} tables of {@code j} and {@code j + 1}, made once per width and kept. */
  private PositionTables positions(int columns) {
    PositionTables cached = positionTables.get(columns);
    if (cached == null) {
      float[] from0 = new float[columns];
      float[] from1 = new float[columns];
      for (int j = 0; j < columns; j++) {
        from0[j] = j;
        from1[j] = j + 1;
      }
      cached = new PositionTables(ops.uploadPersistent(from0, 1, columns), ops.uploadPersistent(from1, 1, columns));
      positionTables.put(columns, cached);
    }
    return cached;
  }

  private record PositionTables(NpuTensor fromZero, NpuTensor fromOne) {}
}
