package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.EmbeddingTable;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.TensorOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link TensorOps} on DJL's PyTorch engine. Every tensor handed to PyTorch is float32; with bfloat16
 * precision each result is rounded to bfloat16 values (see {@link #round}), which reproduces the
 * reference's bfloat16 arithmetic without a bfloat16 NDArray.
 */
final class DjlTensorOps implements TensorOps<NDArray> {
  private static final long EMBEDDING_CHUNK_BYTES = 1L << 30;
  /** 2^16 + 1: Veltkamp's splitter, which keeps the top 8 significant bits of a float32. */
  private static final float BF16_SPLITTER = 65537f;

  private final NDManager root;
  private final Precision precision;
  private final HostWeights hostWeights = new HostWeights();
  private final List<DjlKvCache> kvCaches = new ArrayList<>();
  private NDManager step;
  private long weightBytes;
  private long kvCacheBytes;
  private boolean closed;

  DjlTensorOps(NDManager root, Precision precision) {
    this.root = root;
    this.precision = precision;
    this.step = root.newSubManager();
  }

  @Override
  public Precision precision() {
    return precision;
  }

  NDArray upload(Checkpoint checkpoint, TensorInfo tensor, long rowFrom, long rowCount) {
    long columns = tensor.rowLength();
    var bytes = hostWeights.float32Rows(checkpoint, tensor, rowFrom, rowCount, precision);
    Shape shape = tensor.shape().size() == 1 ? new Shape(rowCount) : new Shape(rowCount, columns);
    weightBytes += rowCount * columns * 4;
    NDArray array = root.create(bytes, shape, DataType.FLOAT32);
    array.attach(root);
    return array;
  }

  @Override
  public NDArray loadWeight(Checkpoint checkpoint, TensorInfo tensor) {
    // Linear layers compute x · wᵀ; the transposed view is made once here, not every step.
    NDArray weight = upload(checkpoint, tensor, 0, tensor.rows());
    return tensor.shape().size() == 2 ? weight.transpose() : weight;
  }

  @Override
  public NDArray loadNormWeight(Checkpoint checkpoint, TensorInfo tensor) {
    NDArray weight = upload(checkpoint, tensor, 0, tensor.rows());
    NDArray onePlus = weight.add(1f);
    weight.close();
    return onePlus;
  }

  @Override
  public EmbeddingTable<NDArray> loadEmbedding(Checkpoint checkpoint, TensorInfo tensor) {
    long rowsPerChunk = Math.max(1, EMBEDDING_CHUNK_BYTES / (tensor.rowLength() * 4));
    List<NDArray> chunks = new ArrayList<>();
    for (long from = 0; from < tensor.rows(); from += rowsPerChunk) {
      chunks.add(upload(checkpoint, tensor, from, Math.min(rowsPerChunk, tensor.rows() - from)));
    }
    return new DjlEmbeddingTable(this, chunks, (int) rowsPerChunk);
  }

  /** The KV cache is float32: DJL 0.36 aborts the JVM on any bfloat16 tensor. */
  @Override
  public int kvCacheBytesPerElement() {
    return Float.BYTES;
  }

  @Override
  public KvCache allocateKvCache(KvCacheSpec spec) {
    DjlKvCache cache = new DjlKvCache(spec, root, this::released);
    kvCaches.add(cache);
    kvCacheBytes += cache.bytes();
    return cache;
  }

  private void released(DjlKvCache cache) {
    if (kvCaches.remove(cache)) {
      kvCacheBytes -= cache.bytes();
    }
  }

  @Override
  public Step openStep() {
    NDManager current = root.newSubManager();
    step = current;
    return () -> {
      current.close();
      if (step == current) {
        step = root.newSubManager();
      }
    };
  }

  /** Moves an op's result into the current step, so it is freed with it. */
  NDArray own(NDArray array) {
    array.attach(step);
    return array;
  }

  NDManager stepManager() {
    return step;
  }

  /**
   * Rounds to bfloat16 values when the precision asks for it: {@code c = x·(2^16+1); x' = c - (c - x)}
   * keeps the 8 leading significant bits, rounded to nearest, in three float32 operations.
   */
  NDArray round(NDArray x) {
    if (precision == Precision.FLOAT32) {
      return x;
    }
    NDArray c = x.mul(BF16_SPLITTER);
    return c.sub(c.sub(x));
  }

  @Override
  public NDArray fromHost(float[] data, int rows, int columns) {
    return step.create(data, new Shape(rows, columns));
  }

  @Override
  public float[] toHost(NDArray tensor) {
    return tensor.toFloatArray();
  }

  @Override
  public int[] argmaxRows(NDArray tensor, int columns) {
    long[] best = tensor.argMax(1).toLongArray();
    int[] out = new int[best.length];
    for (int i = 0; i < best.length; i++) {
      out[i] = (int) best[i];
    }
    return out;
  }

  /** An int64 index tensor of the current step, as PyTorch's indexing wants. */
  NDArray index(int[] values) {
    return step.create(Arrays.stream(values).asLongStream().toArray());
  }

  @Override
  public NDArray selectRows(NDArray x, int[] rows) {
    return x.get(index(rows));
  }

  @Override
  public NDArray scale(NDArray x, float factor) {
    return round(x.mul(factor));
  }

  @Override
  public NDArray rmsNorm(NDArray x, NDArray onePlusWeight, double eps) {
    NDArray variance = x.mul(x).mean(new int[] {-1}, true);
    NDArray normed = x.div(variance.add((float) eps).sqrt());
    return round(normed.mul(onePlusWeight));
  }

  @Override
  public NDArray linear(NDArray x, NDArray transposedWeight) {
    return round(x.matMul(transposedWeight));
  }

  @Override
  public NDArray rope(NDArray x, NDArray cos, NDArray sin, int heads) {
    Shape shape = x.getShape();
    long rows = shape.get(0);
    long headDim = shape.get(1) / heads;
    long half = headDim / 2;
    NDArray perHead = x.reshape(rows, heads, headDim);
    NDArray rotated =
        NDArrays.concat(
            new NDList(
                perHead.get(new NDIndex(":, :, {}:", half)).neg(),
                perHead.get(new NDIndex(":, :, :{}", half))),
            -1);
    NDArray c = round(cos).reshape(rows, 1, headDim);
    NDArray s = round(sin).reshape(rows, 1, headDim);
    NDArray out = round(round(perHead.mul(c)).add(round(rotated.mul(s))));
    return out.reshape(rows, heads * headDim);
  }

  @Override
  public NDArray geluTanhMul(NDArray gate, NDArray up) {
    // PyTorch's gelu(approximate="tanh"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    float sqrtTwoOverPi = (float) Math.sqrt(2.0 / Math.PI);
    NDArray inner = gate.add(gate.mul(gate).mul(gate).mul(0.044715f)).mul(sqrtTwoOverPi);
    NDArray gelu = round(gate.mul(0.5f).mul(inner.tanh().add(1f)));
    return round(gelu.mul(up));
  }

  @Override
  public NDArray add(NDArray a, NDArray b) {
    return round(a.add(b));
  }

  @Override
  public NDArray softcap(NDArray x, double cap) {
    float c = (float) cap;
    return round(round(round(x.div(c)).tanh()).mul(c));
  }

  @Override
  public AttentionStep<NDArray> prepareAttention(AttentionBatch batch, KvCache cache, double scale, double softcap) {
    if (!(cache instanceof DjlKvCache own) || !kvCaches.contains(own)) {
      throw new IllegalArgumentException("the KV cache was not allocated by this CPU backend, or is closed");
    }
    return new DjlAttentionStep(this, own, batch, (float) scale, (float) softcap);
  }

  @Override
  public boolean readsCheckpointAfterLoad() {
    return hostWeights.mappedInPlace();
  }

  @Override
  public long weightBytes() {
    return weightBytes;
  }

  @Override
  public long kvCacheBytes() {
    return kvCacheBytes;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List.copyOf(kvCaches).forEach(DjlKvCache::close);
    step.close();
    root.close();
    hostWeights.close();
  }
}
