package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDManager;
import dev.gemma4j.backend.cpu.kernels.Elementwise;
import dev.gemma4j.backend.cpu.kernels.KernelPool;
import dev.gemma4j.WeightQuantization;
import dev.gemma4j.backend.cpu.kernels.AwqMatVec;
import dev.gemma4j.backend.cpu.kernels.AwqMatrix;
import dev.gemma4j.backend.cpu.kernels.Int8MatVec;
import dev.gemma4j.backend.cpu.kernels.Int8Activations;
import dev.gemma4j.backend.cpu.kernels.Int8Matrix;
import dev.gemma4j.backend.cpu.kernels.MatVec;
import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.internal.quant.WeightQuantizer;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.EmbeddingTable;
import dev.gemma4j.spi.HostArgmax;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.LinearWeight;
import dev.gemma4j.spi.NormWeight;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.TensorOps;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link TensorOps} on the CPU. Weights stay in the checkpoint's dtype, in place in the memory-mapped
 * file; activations are float32 Java arrays; matrix products and the elementwise passes are Java kernels
 * ({@link MatVec}, {@link Elementwise}: Vector API when enabled) split over the kernel threads; attention
 * runs in Java for decoding sequences and through DJL's PyTorch engine for long prompt chunks (see
 * {@link CpuAttentionStep}). With bfloat16 precision every result is rounded to bfloat16 values, which
 * reproduces the reference's bfloat16 arithmetic.
 */
final class CpuTensorOps implements TensorOps<CpuTensor> {
  /** Below this many values an elementwise pass runs on the calling thread alone. */
  private static final int PARALLEL_VALUES = 1 << 16;

  private final Precision precision;
  private final KernelPool pool;
  private final NDManager djl;
  private final HostWeights hostWeights;
  private final MatVec matVec = MatVec.get();
  private final AwqMatVec awqMatVec = AwqMatVec.get();
  private final Elementwise elementwise = Elementwise.get();
  private final List<CpuKvCache> kvCaches = new ArrayList<>();
  private NDManager step;
  private long kvCacheBytes;
  private boolean closed;

  CpuTensorOps(Precision precision, KernelPool pool, NDManager djl) {
    this.precision = precision;
    this.pool = pool;
    this.djl = djl;
    this.hostWeights = new HostWeights(precision);
    this.step = djl.newSubManager();
  }

  @Override
  public Precision precision() {
    return precision;
  }

  KernelPool pool() {
    return pool;
  }

  MatVec matVec() {
    return matVec;
  }

  Elementwise elementwise() {
    return elementwise;
  }

  /** The DJL manager of the current step (for attention over long prompt chunks). */
  NDManager stepManager() {
    return step;
  }

  // ---- weights ----

  @Override
  public LinearWeight loadLinear(Checkpoint checkpoint, LinearSource source) {
    return switch (source) {
      case LinearSource.Dense dense -> new CpuLinear(hostWeights.matrix(checkpoint, dense.weight()));
      case LinearSource.Awq awq -> new CpuAwqLinear(hostWeights.awq(checkpoint, awq));
      case LinearSource.QuantizeAtLoad q when q.to() == WeightQuantization.INT8 -> new CpuInt8Linear(hostWeights.int8(checkpoint, q));
      case LinearSource.QuantizeAtLoad q -> new CpuAwqLinear(hostWeights.int4(checkpoint, q));
    };
  }

  @Override
  public NormWeight loadNormWeight(Checkpoint checkpoint, TensorInfo tensor) {
    float[] weight = hostWeights.vector(checkpoint, tensor);
    for (int i = 0; i < weight.length; i++) {
      weight[i] += 1f;
    }
    return new CpuNormWeight(weight);
  }

  /** The float32 {@code 1 + w} of a norm this backend loaded. */
  private static float[] onePlusWeight(NormWeight weight) {
    if (weight instanceof CpuNormWeight cpu) {
      return cpu.onePlusWeight();
    }
    throw new IllegalArgumentException(weight + " was not loaded by the CPU backend");
  }

  @Override
  public EmbeddingTable<CpuTensor> loadEmbedding(Checkpoint checkpoint, TensorInfo tensor) {
    return new CpuEmbeddingTable(this, hostWeights.matrix(checkpoint, tensor));
  }

  @Override
  public boolean readsCheckpointAfterLoad() {
    return hostWeights.mappedInPlace();
  }

  @Override
  public long weightBytes() {
    return hostWeights.bytes();
  }

  @Override
  public long weightBytesFor(Checkpoint checkpoint) {
    return weightBytesFor(checkpoint, WeightQuantization.NONE);
  }

  /**
   * What loading will hold, tensor by tensor, as {@link HostWeights} holds it: float matrices mapped in
   * place (or a bf16 copy for bf16 math over a wider dtype), norm weights widened to float32, AWQ words
   * copied into strips with their scales and zero points unpacked to float32, and quantized layers as their
   * levels with float32 scales (and zero points).
   */
  @Override
  public long weightBytesFor(Checkpoint checkpoint, WeightQuantization quantize) {
    long bytes = 0;
    for (TensorInfo t : checkpoint.tensors().values()) {
      String name = t.name();
      long elements = t.elementCount();
      boolean linear = name.endsWith("_proj.weight");
      if (name.endsWith(".qweight")) {
        bytes += t.byteLength();
      } else if (name.endsWith(".scales")) {
        bytes += 8 * elements; // a float scale and a float zero point per group and output; qzeros add none
      } else if (name.endsWith(".qzeros")) {
        continue;
      } else if (t.shape().size() == 1) {
        bytes += 4 * elements;
      } else if (linear && quantize == WeightQuantization.INT8) {
        bytes += elements + 4 * t.shape().get(0);
      } else if (linear && quantize == WeightQuantization.INT4) {
        // No group divides a layer the load will refuse with its own message: count it per input.
        bytes += elements / 2 + 8 * (elements / Math.max(WeightQuantizer.int4GroupSize(t.shape().get(1)), 1));
      } else if (precision == Precision.BFLOAT16 && t.dtype() != DType.BF16) {
        bytes += 2 * elements;
      } else {
        bytes += t.byteLength();
      }
    }
    return bytes;
  }

  // ---- KV cache ----

  /** The KV cache is as wide as the math: float32, or bf16 for bf16 math. */
  @Override
  public int kvCacheBytesPerElement() {
    return kvDType().bytes();
  }

  private DType kvDType() {
    return precision == Precision.BFLOAT16 ? DType.BF16 : DType.F32;
  }

  @Override
  public KvCache allocateKvCache(KvCacheSpec spec) {
    CpuKvCache cache = new CpuKvCache(spec, kvDType(), this::released);
    kvCaches.add(cache);
    kvCacheBytes += cache.bytes();
    return cache;
  }

  private void released(CpuKvCache cache) {
    if (kvCaches.remove(cache)) {
      kvCacheBytes -= cache.bytes();
    }
  }

  @Override
  public long kvCacheBytes() {
    return kvCacheBytes;
  }

  @Override
  public AttentionStep<CpuTensor> prepareAttention(AttentionBatch batch, KvCache cache, double scale, double softcap) {
    if (!(cache instanceof CpuKvCache own) || !kvCaches.contains(own)) {
      throw new IllegalArgumentException("the KV cache was not allocated by this CPU backend, or is closed");
    }
    return new CpuAttentionStep(this, own, batch, (float) scale, (float) softcap);
  }

  // ---- steps ----

  @Override
  public Step openStep() {
    NDManager current = djl.newSubManager();
    step = current;
    return current::close;
  }

  @Override
  public CpuTensor fromHost(float[] data, int rows, int columns) {
    return new CpuTensor(data.clone(), rows, columns);
  }

  @Override
  public float[] toHost(CpuTensor tensor) {
    return java.util.Arrays.copyOf(tensor.data(), tensor.size());
  }

  @Override
  public int[] argmaxRows(CpuTensor tensor, int columns) {
    int[] best = new int[tensor.size() / columns];
    for (int r = 0; r < best.length; r++) {
      best[r] = HostArgmax.ofRow(tensor.data(), r * columns, columns);
    }
    return best;
  }

  @Override
  public CpuTensor selectRows(CpuTensor x, int[] rows) {
    CpuTensor out = CpuTensor.zeros(rows.length, x.columns());
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(x.data(), rows[i] * x.columns(), out.data(), i * x.columns(), x.columns());
    }
    return out;
  }

  /** Rounds to the math precision in place: nothing for float32, to bfloat16 values otherwise. */
  void round(float[] values, int from, int to) {
    if (precision == Precision.BFLOAT16) {
      elementwise.roundToBf16(values, from, to);
    }
  }

  private CpuTensor round(CpuTensor t) {
    if (precision == Precision.BFLOAT16) {
      forRows(t.rows(), t.columns(), (from, to) -> elementwise.roundToBf16(t.data(), from * t.columns(), to * t.columns()));
    }
    return t;
  }

  /** Runs {@code task} over row ranges: in parallel when the tensor is large, else on this thread. */
  void forRows(int rows, int columns, KernelPool.RangeTask task) {
    if ((long) rows * columns < PARALLEL_VALUES || rows < 2) {
      task.run(0, rows);
    } else {
      pool.parallelFor(rows, 1, task);
    }
  }

  @Override
  public CpuTensor scale(CpuTensor x, float factor) {
    CpuTensor out = CpuTensor.zeros(x.rows(), x.columns());
    float[] in = x.data();
    float[] o = out.data();
    for (int i = 0; i < x.size(); i++) {
      o[i] = in[i] * factor;
    }
    return round(out);
  }

  @Override
  public CpuTensor add(CpuTensor a, CpuTensor b) {
    CpuTensor out = CpuTensor.zeros(a.rows(), a.columns());
    float[] x = a.data();
    float[] y = b.data();
    float[] o = out.data();
    for (int i = 0; i < a.size(); i++) {
      o[i] = x[i] + y[i];
    }
    return round(out);
  }

  /** As PyTorch computes it: {@code x / sqrt(mean(x²) + eps) * (1 + w)}, in float32, rounded once. */
  @Override
  public CpuTensor rmsNorm(CpuTensor x, NormWeight weight, double eps) {
    int columns = x.columns();
    CpuTensor out = CpuTensor.zeros(x.rows(), columns);
    float[] in = x.data();
    float[] w = onePlusWeight(weight);
    float[] o = out.data();
    float epsilon = (float) eps;
    forRows(x.rows(), columns, (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = r * columns;
        float variance = elementwise.sumOfSquares(in, base, base + columns) / columns;
        float root = (float) Math.sqrt(variance + epsilon);
        for (int i = 0; i < columns; i++) {
          o[base + i] = in[base + i] / root * w[i];
        }
      }
    });
    return round(out);
  }

  /** {@link #rmsNorm} over each head's slice: the rows seen as {@code rows * heads} rows of one head each. */
  @Override
  public CpuTensor rmsNormHeads(CpuTensor x, NormWeight weight, int heads, double eps) {
    CpuTensor normed = rmsNorm(new CpuTensor(x.data(), x.rows() * heads, x.columns() / heads), weight, eps);
    return new CpuTensor(normed.data(), x.rows(), x.columns());
  }

  @Override
  public CpuTensor linear(CpuTensor x, LinearWeight weight) {
    return switch (weight) {
      case CpuLinear dense -> multiply(x, dense.matrix());
      case CpuAwqLinear awq -> multiply(x, awq.matrix());
      case CpuInt8Linear int8 -> multiply(x, int8.matrix());
      default -> throw new IllegalArgumentException(weight + " was not loaded by the CPU backend");
    };
  }

  /**
   * {@code x · Wᵀ} for an 8-bit weight on integers: {@code x} quantized to 8 bits once, then split over the kernel
   * threads by output feature.
   */
  private CpuTensor multiply(CpuTensor x, Int8Matrix w) {
    CpuTensor out = CpuTensor.zeros(x.rows(), w.out());
    Int8Activations q = Int8Activations.quantize(x.data(), x.rows(), w.in());
    Int8MatVec kernel = Int8MatVec.get(); // first asked here: only int8 models load the native library
    pool.parallelFor(w.out(), 16, (from, to) -> kernel.multiply(q, w, from, to, out.data(), w.out()));
    return round(out);
  }

  /** {@code x · W} for a 4-bit weight, split over the kernel threads by strips of packed output columns. */
  private CpuTensor multiply(CpuTensor x, AwqMatrix w) {
    CpuTensor out = CpuTensor.zeros(x.rows(), w.out());
    int rows = x.rows();
    pool.parallelFor(w.packed(), AwqMatrix.STRIP, (from, to) -> awqMatVec.multiply(x.data(), rows, w, from, to, out.data(), w.out()));
    return round(out);
  }

  /** {@code x · Wᵀ}, split over the kernel threads by output feature, rounded to the math precision. */
  CpuTensor multiply(CpuTensor x, WeightMatrix w) {
    CpuTensor out = CpuTensor.zeros(x.rows(), w.rows());
    int rows = x.rows();
    pool.parallelFor(w.rows(), 16, (from, to) -> matVec.multiply(x.data(), rows, w, from, to, out.data(), w.rows()));
    return round(out);
  }

  /** Rotate-half RoPE as the reference computes it: {@code x·cos + rotate_half(x)·sin} per head. */
  @Override
  public CpuTensor rope(CpuTensor x, CpuTensor cos, CpuTensor sin, int heads) {
    int width = x.columns();
    int headDim = width / heads;
    int half = headDim / 2;
    CpuTensor c = roundedCopy(cos);
    CpuTensor s = roundedCopy(sin);
    CpuTensor out = CpuTensor.zeros(x.rows(), width);
    float[] in = x.data();
    float[] o = out.data();
    boolean bf16 = precision == Precision.BFLOAT16;
    forRows(x.rows(), width, (from, to) -> {
      for (int r = from; r < to; r++) {
        int cs = r * headDim;
        for (int h = 0; h < heads; h++) {
          int base = r * width + h * headDim;
          for (int i = 0; i < headDim; i++) {
            float rotated = i < half ? -in[base + i + half] : in[base + i - half];
            float a = in[base + i] * c.data()[cs + i];
            float b = rotated * s.data()[cs + i];
            o[base + i] = bf16 ? precision.round(precision.round(a) + precision.round(b)) : a + b;
          }
        }
      }
    });
    return out;
  }

  private CpuTensor roundedCopy(CpuTensor t) {
    return precision == Precision.FLOAT32 ? t : round(new CpuTensor(toHost(t), t.rows(), t.columns()));
  }

  /** {@code gelu_tanh(gate)}, rounded, times {@code up}, rounded. */
  @Override
  public CpuTensor geluTanhMul(CpuTensor gate, CpuTensor up) {
    CpuTensor out = CpuTensor.zeros(gate.rows(), gate.columns());
    int columns = gate.columns();
    float[] g = gate.data();
    float[] u = up.data();
    float[] o = out.data();
    forRows(gate.rows(), columns, (from, to) -> {
      elementwise.geluTanh(g, from * columns, to * columns, o);
      round(o, from * columns, to * columns);
      for (int i = from * columns; i < to * columns; i++) {
        o[i] *= u[i];
      }
      round(o, from * columns, to * columns);
    });
    return out;
  }

  /** {@code tanh(x / cap) * cap}, rounded after each operation as the reference does. */
  @Override
  public CpuTensor softcap(CpuTensor x, double cap) {
    CpuTensor out = CpuTensor.zeros(x.rows(), x.columns());
    softcap(x.data(), 0, x.size(), (float) cap, out.data());
    return out;
  }

  /** Soft-caps {@code in[from .. to)} into {@code out}, in parallel for large ranges. */
  void softcap(float[] in, int from, int to, float cap, float[] out) {
    int length = to - from;
    KernelPool.RangeTask part = (a, b) -> {
      for (int i = from + a; i < from + b; i++) {
        out[i] = in[i] / cap;
      }
      round(out, from + a, from + b);
      elementwise.tanh(out, from + a, from + b, out);
      round(out, from + a, from + b);
      for (int i = from + a; i < from + b; i++) {
        out[i] *= cap;
      }
      round(out, from + a, from + b);
    };
    if (length < PARALLEL_VALUES) {
      part.run(0, length);
    } else {
      pool.parallelFor(length, 4096, part);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List.copyOf(kvCaches).forEach(CpuKvCache::close);
    step.close();
    djl.close();
    pool.close();
    hostWeights.close();
  }
}
