package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import java.util.ArrayList;
import java.util.List;

/**
 * Attention of one step on the CPU: keys and values are written to the cache slots the block tables give
 * for the query positions; each sequence gathers the keys it sees by slot and runs grouped-query attention
 * with the batch's additive mask. The slot indices and masks of both layer kinds are built once per step
 * and shared by the layers.
 */
final class DjlAttentionStep implements AttentionStep<NDArray> {
  private final DjlTensorOps ops;
  private final DjlKvCache cache;
  private final AttentionBatch batch;
  private final Plan sliding;
  private final Plan full;
  private final float scale;
  private final float softcap;

  /** One layer kind's slot indices and masks, uploaded once per step. */
  private record Plan(NDArray writeSlots, List<NDArray> keySlots, List<NDArray> masks) {}

  DjlAttentionStep(DjlTensorOps ops, DjlKvCache cache, AttentionBatch batch, float scale, float softcap) {
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
      return new Plan(ops.index(new int[0]), List.of(), List.of());
    }
    List<NDArray> keySlots = new ArrayList<>();
    List<NDArray> masks = new ArrayList<>();
    for (int s = 0; s < batch.sequences(); s++) {
      int[] slots = batch.keySlots(s, type);
      keySlots.add(ops.index(slots));
      masks.add(ops.stepManager().create(batch.additiveMask(s, type), new Shape(batch.queryLength(s), slots.length)));
    }
    return new Plan(ops.index(batch.writeSlots(type)), keySlots, masks);
  }

  @Override
  public NDArray attend(int layer, NDArray q, NDArray k, NDArray v) {
    Plan plan = cache.spec().layers().get(layer) == LayerType.SLIDING ? sliding : full;
    NDArray keyCache = cache.keys(layer);
    NDArray valueCache = cache.values(layer);
    long kvHeads = cache.spec().kvHeads();
    long headDim = cache.spec().headDim();
    long heads = q.getShape().get(1) / headDim;
    long group = heads / kvHeads;
    NDIndex writeIndex = new NDIndex("{}", plan.writeSlots());
    keyCache.set(writeIndex, k.reshape(-1, kvHeads, headDim));
    valueCache.set(writeIndex, v.reshape(-1, kvHeads, headDim));
    NDList outputs = new NDList();
    for (int s = 0; s < batch.sequences(); s++) {
      long n = batch.queryLength(s);
      long rowStart = batch.queryStart()[s];
      NDArray query =
          q.get(new NDIndex("{}:{}", rowStart, rowStart + n))
              .reshape(n, kvHeads, group, headDim)
              .transpose(1, 2, 0, 3)
              .reshape(kvHeads, group * n, headDim);
      NDArray keys = ops.own(keyCache.get(plan.keySlots().get(s)));
      NDArray values = ops.own(valueCache.get(plan.keySlots().get(s)));
      long length = keys.getShape().get(0);
      NDArray scores = ops.round(ops.round(query.matMul(keys.transpose(1, 2, 0))).mul(scale));
      if (softcap > 0) {
        scores = ops.round(ops.round(ops.round(scores.div(softcap)).tanh()).mul(softcap));
      }
      NDArray weights =
          ops.round(scores.reshape(kvHeads, group, n, length).add(plan.masks().get(s)).softmax(-1))
              .reshape(kvHeads, group * n, length);
      NDArray attended = ops.round(weights.matMul(values.transpose(1, 0, 2)));
      outputs.add(attended.reshape(kvHeads, group, n, headDim).transpose(2, 0, 1, 3).reshape(n, heads * headDim));
    }
    return outputs.size() == 1 ? outputs.getFirst() : NDArrays.concat(outputs, 0);
  }
}
