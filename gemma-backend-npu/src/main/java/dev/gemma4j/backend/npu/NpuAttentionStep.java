package dev.gemma4j.backend.npu;

import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 2 attention on the NPU, unfused because no fused Ascend kernel applies the tanh soft-cap: keys and
 * values are written into the paged cache with {@code aclnnInplaceIndexCopy} at the slots the block tables
 * give, each sequence gathers the keys it sees ({@code aclnnIndexSelect}), then {@code BatchMatMul(q, kᵀ)},
 * scale, soft-cap ({@code Muls}, {@code Tanh}, {@code Muls}), the batch's additive mask, {@code Softmax}
 * in float32 and {@code BatchMatMul} with the values. Grouped-query heads are handled by arranging the
 * queries as {@code [kvHeads, group * rows, headDim]} so one batched matmul per sequence serves them all.
 */
final class NpuAttentionStep implements AttentionStep<NpuTensor> {
  private final NpuTensorOps ops;
  private final NpuKvCache cache;
  private final AttentionBatch batch;
  private final Plan sliding;
  private final Plan full;
  private final float scale;
  private final float softcap;

  /** One layer kind's indices and masks, uploaded once for every layer of the step. */
  private record Plan(NpuTensor writeSlots, List<NpuTensor> keySlots, List<NpuTensor> masks) {}

  NpuAttentionStep(NpuTensorOps ops, NpuKvCache cache, AttentionBatch batch, float scale, float softcap) {
    this.ops = ops;
    this.cache = cache;
    this.batch = batch;
    this.sliding = upload(LayerType.SLIDING);
    this.full = upload(LayerType.FULL);
    this.scale = scale;
    this.softcap = softcap;
  }

  private Plan upload(LayerType type) {
    if (!cache.spec().layers().contains(type)) {
      return new Plan(null, List.of(), List.of());
    }
    List<NpuTensor> keySlots = new ArrayList<>();
    List<NpuTensor> masks = new ArrayList<>();
    for (int s = 0; s < batch.sequences(); s++) {
      int[] slots = batch.keySlots(s, type);
      keySlots.add(ops.uploadLongs(NpuTensorOps.longs(slots)));
      masks.add(ops.uploadFloats(batch.additiveMask(s, type), batch.queryLength(s), slots.length));
    }
    return new Plan(ops.uploadLongs(NpuTensorOps.longs(batch.writeSlots(type))), keySlots, masks);
  }

  @Override
  public NpuTensor attend(int layer, NpuTensor q, NpuTensor k, NpuTensor v) {
    Plan plan = cache.spec().layers().get(layer) == LayerType.SLIDING ? sliding : full;
    NpuTensor keyCache = cache.keys(layer);
    NpuTensor valueCache = cache.values(layer);
    Aclnn nn = ops.nn();
    nn.run("aclnnInplaceIndexCopy", keyCache, 0L, plan.writeSlots(), k);
    nn.run("aclnnInplaceIndexCopy", valueCache, 0L, plan.writeSlots(), v);

    long kvWidth = keyCache.dim(1);
    long qWidth = q.dim(1);
    long headDim = cache.spec().headDim();
    long kvHeads = cache.spec().kvHeads();
    long group = qWidth / kvWidth;
    NpuTensor out = ops.allocate(ops.activation(), q.dim(0), qWidth);
    for (int s = 0; s < batch.sequences(); s++) {
      long n = batch.queryLength(s);
      long rowStart = batch.queryStart()[s];
      NpuTensor slots = plan.keySlots().get(s);
      long length = slots.elements();
      NpuTensor keys = ops.allocate(keyCache.dtype(), length, kvWidth);
      NpuTensor values = ops.allocate(valueCache.dtype(), length, kvWidth);
      nn.run("aclnnIndexSelect", keyCache, 0L, slots, keys);
      nn.run("aclnnIndexSelect", valueCache, 0L, slots, values);

      // Queries of this sequence as [kvHeads, group, n, headDim]: query head h = kv * group + g.
      long[] perHead = {kvHeads, group, n, headDim};
      long[] qStrides = {group * headDim, headDim, qWidth, 1};
      NpuTensor queries = ops.allocate(q.dtype(), perHead);
      nn.run("aclnnInplaceCopy", queries, q.view(perHead, qStrides, q.offset() + rowStart * qWidth));
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
      nn.run("aclnnInplaceCopy", out.view(perHead, qStrides, rowStart * qWidth), attended.reshape(perHead));
    }
    return out;
  }
}
