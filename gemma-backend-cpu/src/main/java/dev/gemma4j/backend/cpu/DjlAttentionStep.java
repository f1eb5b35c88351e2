package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.SequenceAttention;
import java.util.ArrayList;
import java.util.List;

/**
 * Attention of one step on the CPU: the KV cache is a {@code [slots, kvHeads, headDim]} tensor per layer;
 * each sequence gathers its keys and values by slot index and runs grouped-query attention with an
 * additive mask. Index and mask tensors are built once per step and shared by the layers.
 */
final class DjlAttentionStep implements AttentionStep<NDArray> {
  private final DjlTensorOps ops;
  private final Plan sliding;
  private final Plan full;
  private final float scale;
  private final float softcap;
  private final List<LayerType> layerTypes;

  /** One layer kind's uploaded indices and masks. */
  private record Plan(NDArray writeSlots, List<SequenceAttention> sequences, List<NDArray> keySlots, List<NDArray> masks) {}

  DjlAttentionStep(
      DjlTensorOps ops,
      List<SequenceAttention> sliding,
      List<SequenceAttention> full,
      float scale,
      float softcap,
      List<LayerType> layerTypes) {
    this.ops = ops;
    this.sliding = upload(ops, sliding);
    this.full = upload(ops, full);
    this.scale = scale;
    this.softcap = softcap;
    this.layerTypes = layerTypes;
  }

  private static Plan upload(DjlTensorOps ops, List<SequenceAttention> sequences) {
    NDManager manager = ops.stepManager();
    int rows = sequences.stream().mapToInt(SequenceAttention::rowCount).sum();
    int[] writes = new int[rows];
    List<NDArray> keySlots = new ArrayList<>();
    List<NDArray> masks = new ArrayList<>();
    int row = 0;
    for (SequenceAttention s : sequences) {
      for (int slot : s.writeSlots()) {
        writes[row++] = slot;
      }
      keySlots.add(ops.index(s.keySlots()));
      float[] additive = new float[s.mask().length];
      for (int j = 0; j < additive.length; j++) {
        additive[j] = s.mask()[j] ? 0f : Float.NEGATIVE_INFINITY;
      }
      masks.add(manager.create(additive, new Shape(s.rowCount(), s.keySlots().length)));
    }
    return new Plan(ops.index(writes), List.copyOf(sequences), keySlots, masks);
  }

  @Override
  public NDArray attend(int layer, NDArray q, NDArray k, NDArray v) {
    Plan plan = layerTypes.get(layer) == LayerType.SLIDING ? sliding : full;
    NDArray keyCache = ops.keyCache(layer);
    NDArray valueCache = ops.valueCache(layer);
    long kvHeads = keyCache.getShape().get(1);
    long headDim = keyCache.getShape().get(2);
    long heads = q.getShape().get(1) / headDim;
    long group = heads / kvHeads;
    NDIndex writeIndex = new NDIndex("{}", plan.writeSlots());
    keyCache.set(writeIndex, k.reshape(-1, kvHeads, headDim));
    valueCache.set(writeIndex, v.reshape(-1, kvHeads, headDim));
    NDList outputs = new NDList();
    for (int s = 0; s < plan.sequences().size(); s++) {
      SequenceAttention seq = plan.sequences().get(s);
      long n = seq.rowCount();
      NDArray query =
          q.get(new NDIndex("{}:{}", seq.rowStart(), seq.rowStart() + n))
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
          ops.round(
              scores.reshape(kvHeads, group, n, length).add(plan.masks().get(s)).softmax(-1))
              .reshape(kvHeads, group * n, length);
      NDArray attended = ops.round(weights.matMul(values.transpose(1, 0, 2)));
      outputs.add(
          attended
              .reshape(kvHeads, group, n, headDim)
              .transpose(2, 0, 1, 3)
              .reshape(n, heads * headDim));
    }
    return outputs.size() == 1 ? outputs.getFirst() : NDArrays.concat(outputs, 0);
  }
}
