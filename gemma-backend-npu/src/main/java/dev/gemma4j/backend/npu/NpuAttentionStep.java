package dev.gemma4j.backend.npu;

import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.SequenceAttention;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 2 attention on the NPU, unfused because no fused Ascend kernel applies the tanh soft-cap: keys and
 * values are written into the paged cache with {@code aclnnInplaceIndexCopy}, each sequence gathers its
 * own through its slot table ({@code aclnnIndexSelect}), then {@code BatchMatMul(q, kᵀ)}, scale, soft-cap
 * ({@code Muls}, {@code Tanh}, {@code Muls}), the host-built causal / sliding-window mask, {@code Softmax}
 * in float32 and {@code BatchMatMul} with the values. Grouped-query heads are handled by arranging the
 * queries as {@code [kvHeads, group * rows, headDim]} so one batched matmul per sequence serves them all.
 */
final class NpuAttentionStep implements AttentionStep<NpuTensor> {
  private final NpuTensorOps ops;
  private final Plan sliding;
  private final Plan full;
  private final float scale;
  private final float softcap;

  /** One layer kind's indices and masks, uploaded once for every layer of the step. */
  private record Plan(List<SequenceAttention> sequences, NpuTensor writeSlots, List<NpuTensor> keySlots, List<NpuTensor> masks) {}

  NpuAttentionStep(NpuTensorOps ops, List<SequenceAttention> sliding, List<SequenceAttention> full, float scale, float softcap) {
    this.ops = ops;
    this.sliding = upload(sliding);
    this.full = upload(full);
    this.scale = scale;
    this.softcap = softcap;
  }

  private Plan upload(List<SequenceAttention> sequences) {
    int rows = sequences.stream().mapToInt(SequenceAttention::rowCount).sum();
    long[] writes = new long[rows];
    List<NpuTensor> keySlots = new ArrayList<>();
    List<NpuTensor> masks = new ArrayList<>();
    int row = 0;
    for (SequenceAttention s : sequences) {
      for (int slot : s.writeSlots()) {
        writes[row++] = slot;
      }
      keySlots.add(ops.uploadLongs(NpuTensorOps.longs(s.keySlots())));
      float[] additive = new float[s.mask().length];
      for (int j = 0; j < additive.length; j++) {
        additive[j] = s.mask()[j] ? 0f : Float.NEGATIVE_INFINITY;
      }
      masks.add(ops.uploadFloats(additive, s.rowCount(), s.keySlots().length));
    }
    return new Plan(List.copyOf(sequences), ops.uploadLongs(writes), keySlots, masks);
  }

  @Override
  public NpuTensor attend(int layer, NpuTensor q, NpuTensor k, NpuTensor v) {
    Plan plan = ops.layerTypes().get(layer) == LayerType.SLIDING ? sliding : full;
    NpuTensor keyCache = ops.keyCache(layer);
    NpuTensor valueCache = ops.valueCache(layer);
    Aclnn nn = ops.nn();
    nn.run("aclnnInplaceIndexCopy", keyCache, 0L, plan.writeSlots(), k);
    nn.run("aclnnInplaceIndexCopy", valueCache, 0L, plan.writeSlots(), v);

    long kvWidth = keyCache.dim(1);
    long qWidth = q.dim(1);
    long headDim = ops.headDim();
    long kvHeads = ops.kvHeads();
    long group = qWidth / kvWidth;
    NpuTensor out = ops.allocate(ops.activation(), q.dim(0), qWidth);
    for (int s = 0; s < plan.sequences().size(); s++) {
      SequenceAttention seq = plan.sequences().get(s);
      long n = seq.rowCount();
      long length = seq.keySlots().length;
      NpuTensor keys = ops.allocate(keyCache.dtype(), length, kvWidth);
      NpuTensor values = ops.allocate(valueCache.dtype(), length, kvWidth);
      nn.run("aclnnIndexSelect", keyCache, 0L, plan.keySlots().get(s), keys);
      nn.run("aclnnIndexSelect", valueCache, 0L, plan.keySlots().get(s), values);

      // Queries of this sequence as [kvHeads, group, n, headDim]: query head h = kv * group + g.
      long[] perHead = {kvHeads, group, n, headDim};
      long[] qStrides = {group * headDim, headDim, qWidth, 1};
      NpuTensor queries = ops.allocate(q.dtype(), perHead);
      nn.run("aclnnInplaceCopy", queries, q.view(perHead, qStrides, q.offset() + seq.rowStart() * qWidth));
      NpuTensor keysT = keys.view(new long[] {kvHeads, headDim, length}, new long[] {headDim, 1, kvWidth}, 0);
      NpuTensor scores = ops.allocate(ops.activation(), kvHeads, group * n, length);
      nn.run("aclnnBatchMatMul", queries.reshape(kvHeads, group * n, headDim), keysT, scores, (byte) 0);
      scores = ops.scale(scores, scale);
      if (softcap > 0) {
        scores = ops.softcap(scores, softcap);
      }
      NpuTensor masked = ops.allocate(AclDType.FLOAT, kvHeads * group, n, length);
      nn.run("aclnnAdd", ops.as(scores, AclDType.FLOAT).reshape(kvHeads * group, n, length), plan.masks().get(s),
          new Aclnn.Scalar(1f), masked);
      NpuTensor probabilities = ops.allocate(AclDType.FLOAT, kvHeads * group, n, length);
      nn.run("aclnnSoftmax", masked, -1L, probabilities);
      NpuTensor weights = ops.as(probabilities, ops.activation()).reshape(kvHeads, group * n, length);
      NpuTensor valuesView = values.view(new long[] {kvHeads, length, headDim}, new long[] {headDim, kvWidth, 1}, 0);
      NpuTensor attended = ops.allocate(ops.activation(), kvHeads, group * n, headDim);
      nn.run("aclnnBatchMatMul", weights, valuesView, attended, (byte) 0);
      nn.run("aclnnInplaceCopy", out.view(perHead, qStrides, seq.rowStart() * qWidth), attended.reshape(perHead));
    }
    return out;
  }
}
