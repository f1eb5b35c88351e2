package dev.gemma4j.backend.npu;

import dev.gemma4j.GemmaException;

import dev.gemma4j.config.ModelFormatException;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.ValueLayout;

import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.EmbeddingTable;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.LinearWeight;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.TensorOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link TensorOps} on an Ascend NPU through CANN's aclnn operators. Weights stay in the checkpoint's
 * dtype in device memory (bf16 for the published checkpoints, float32 stays float32; float16 on request,
 * see {@link NpuBackendProvider}); activations are in
 * the math precision (float32 or bf16), with norms and softmax in float32 as the reference computes them.
 * The KV cache is one {@code [slots, kvHeads * headDim]} tensor per layer in device memory, addressed
 * through the block tables of the shared cache manager. Every call runs on the backend's device thread.
 */
final class NpuTensorOps implements TensorOps<NpuTensor> {
  private static final ValueLayout.OfShort JAVA_SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private final AclRuntime runtime;
  private final Aclnn nn;
  private final DeviceThread device;
  private final Precision precision;
  private final AclDType activation;
  private final List<Long> persistent = new ArrayList<>();
  private final List<NpuKvCache> kvCaches = new ArrayList<>();
  private List<Long> stepAllocations;
  private long weightBytes;
  private long kvCacheBytes;
  private long allocated;
  private long peakAllocated;
  private boolean closed;

  private final boolean float16Weights;

  NpuTensorOps(AclRuntime runtime, Aclnn nn, DeviceThread device, Precision precision) {
    this(runtime, nn, device, precision, false);
  }

  /**
   * @param float16Weights store matrices as float16 whatever the checkpoint holds (half the memory of
   *     float32; exact for bf16 values within float16's range)
   */
  NpuTensorOps(AclRuntime runtime, Aclnn nn, DeviceThread device, Precision precision, boolean float16Weights) {
    this.runtime = runtime;
    this.nn = nn;
    this.device = device;
    this.precision = precision;
    this.float16Weights = float16Weights;
    this.activation = precision == Precision.BFLOAT16 ? AclDType.BF16 : AclDType.FLOAT;
  }

  @Override
  public Precision precision() {
    return precision;
  }

  @Override
  public <R> R execute(Supplier<R> work) {
    return device.call(work);
  }

  // ---- memory ----

  /** Device memory for a tensor: freed when the open step closes, else with the backend. */
  NpuTensor allocate(AclDType dtype, long... shape) {
    NpuTensor t = allocateUntracked(dtype, shape);
    List<Long> owner = stepAllocations != null ? stepAllocations : persistent;
    owner.add(t.address());
    owner.add(bytesOf(t));
    return t;
  }

  /** Device memory for a tensor that its owner frees with {@link #free(NpuTensor)} (the KV cache's). */
  NpuTensor allocateUntracked(AclDType dtype, long... shape) {
    long elements = 1;
    for (long d : shape) {
      elements = Math.multiplyExact(elements, d);
    }
    long bytes = Math.max(1, elements) * dtype.bytes();
    long address = runtime.malloc(bytes);
    allocated += bytes;
    peakAllocated = Math.max(peakAllocated, allocated);
    return NpuTensor.contiguous(address, dtype, shape);
  }

  private static long bytesOf(NpuTensor t) {
    return Math.max(1, t.elements()) * t.dtype().bytes();
  }

  private void free(NpuTensor t) {
    runtime.free(t.address());
    allocated -= bytesOf(t);
  }

  private void upload(NpuTensor target, MemorySegment host) {
    runtime.memcpy(
        MemorySegment.ofAddress(target.address()), target.storageElements() * target.dtype().bytes(), host, host.byteSize(),
        AclRuntime.HOST_TO_DEVICE);
  }

  NpuTensor uploadFloats(float[] values, long... shape) {
    NpuTensor t = allocate(AclDType.FLOAT, shape);
    try (Arena arena = Arena.ofConfined()) {
      upload(t, arena.allocateFrom(JAVA_FLOAT, values));
    }
    return t;
  }

  NpuTensor uploadLongs(long[] values) {
    NpuTensor t = allocate(AclDType.INT64, values.length);
    try (Arena arena = Arena.ofConfined()) {
      upload(t, arena.allocateFrom(JAVA_LONG, values));
    }
    return t;
  }

  static long[] longs(int[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  /** {@code t} in {@code dtype}: itself, or a cast copy. */
  NpuTensor as(NpuTensor t, AclDType dtype) {
    if (t.dtype() == dtype) {
      return t;
    }
    NpuTensor out = allocate(dtype, t.shape());
    nn.run("aclnnCast", t, new Aclnn.DType(dtype), out);
    return out;
  }

  NpuTensor contiguous(NpuTensor t) {
    if (t.isContiguous() && t.offset() == 0 && t.storageElements() == t.elements()) {
      return t;
    }
    NpuTensor out = allocate(t.dtype(), t.shape());
    nn.run("aclnnInplaceCopy", out, t);
    return out;
  }

  Aclnn nn() {
    return nn;
  }

  AclDType activation() {
    return activation;
  }

  // ---- weights ----

  private NpuTensor uploadTensor(Checkpoint checkpoint, TensorInfo tensor) {
    AclDType stored =
        switch (tensor.dtype()) {
          case F32 -> AclDType.FLOAT;
          case BF16 -> AclDType.BF16;
          case F16 -> AclDType.FLOAT16;
          case I32 -> throw new ModelFormatException(tensor.name() + " is int32 where a float tensor belongs");
        };
    long[] shape = tensor.shape().stream().mapToLong(Long::longValue).toArray();
    NpuTensor t = allocate(stored, shape);
    upload(t, checkpoint.segment(tensor, 0, tensor.byteLength()));
    weightBytes += tensor.byteLength();
    return t;
  }

  @Override
  public LinearWeight loadLinear(Checkpoint checkpoint, LinearSource source) {
    return switch (source) {
      case LinearSource.Dense dense -> {
        TensorInfo tensor = dense.weight();
        yield new NpuLinear(
            float16Weights && tensor.dtype() != DType.F16 ? uploadAsFloat16(checkpoint, tensor) : uploadTensor(checkpoint, tensor));
      }
      case LinearSource.QuantizeAtLoad quantize -> throw new GemmaException(
          "the NPU backend does not quantize weights at load yet; load " + checkpoint.folder() + " without --quantize,"
              + " or quantize on the CPU backend (--backend cpu)");
      case LinearSource.Awq awq -> throw new GemmaException(
          checkpoint.folder() + " is an AWQ 4-bit checkpoint; the NPU backend does not run 4-bit weights yet"
              + " (aclnnWeightQuantBatchMatmulV2 is planned): run it with --backend cpu, or use the model's bf16"
              + " checkpoint on the NPU");
    };
  }

  private NpuTensor uploadAsFloat16(Checkpoint checkpoint, TensorInfo tensor) {
    long[] shape = tensor.shape().stream().mapToLong(Long::longValue).toArray();
    NpuTensor t = allocate(AclDType.FLOAT16, shape);
    long elements = tensor.elementCount();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment half = arena.allocate(elements * 2);
      int chunk = 1 << 20;
      ByteBuffer widened = ByteBuffer.allocate(4 * chunk).order(ByteOrder.LITTLE_ENDIAN);
      for (long done = 0; done < elements; done += chunk) {
        int n = (int) Math.min(chunk, elements - done);
        long bytes = tensor.dtype().bytes();
        tensor.dtype().widenToFloat32(checkpoint.segment(tensor, done * bytes, n * bytes).asByteBuffer(), widened.clear(), n);
        for (int i = 0; i < n; i++) {
          half.set(JAVA_SHORT_LE, 2 * (done + i), Float.floatToFloat16(widened.getFloat(4 * i)));
        }
      }
      upload(t, half);
    }
    weightBytes += elements * 2;
    return t;
  }

  @Override
  public NpuTensor loadNormWeight(Checkpoint checkpoint, TensorInfo tensor) {
    // (1 + w) in float32 on the host, as the reference computes it.
    int n = (int) tensor.elementCount();
    ByteBuffer widened = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    tensor.dtype().widenToFloat32(checkpoint.segment(tensor, 0, tensor.byteLength()).asByteBuffer(), widened, n);
    float[] onePlus = new float[n];
    for (int i = 0; i < n; i++) {
      onePlus[i] = 1f + widened.getFloat(4 * i);
    }
    weightBytes += 4L * n;
    return uploadFloats(onePlus, n);
  }

  @Override
  public EmbeddingTable<NpuTensor> loadEmbedding(Checkpoint checkpoint, TensorInfo tensor) {
    return new NpuEmbeddingTable(this, uploadTensor(checkpoint, tensor));
  }

  /** The KV cache is stored in the activation dtype (bf16 when the math is bf16). */
  @Override
  public int kvCacheBytesPerElement() {
    return activation.bytes();
  }

  @Override
  public KvCache allocateKvCache(KvCacheSpec spec) {
    NpuKvCache cache = new NpuKvCache(spec, activation, this, this::released);
    kvCaches.add(cache);
    kvCacheBytes += cache.bytes();
    return cache;
  }

  /** Frees a closed cache's device memory, on the device thread, once queued operators are done with it. */
  private void released(NpuKvCache cache) {
    device.call(() -> {
      if (kvCaches.remove(cache)) {
        runtime.synchronize(nn.stream());
        cache.tensors().forEach(this::free);
        kvCacheBytes -= cache.bytes();
      }
      return null;
    });
  }

  // ---- steps ----

  @Override
  public Step openStep() {
    if (stepAllocations != null) {
      throw new IllegalStateException("a step is already open");
    }
    stepAllocations = new ArrayList<>();
    return () -> {
      List<Long> temporaries = stepAllocations;
      stepAllocations = null;
      try {
        runtime.synchronize(nn.stream()); // queued operators still use the temporaries
      } finally {
        freeAll(temporaries);
      }
    };
  }

  private void freeAll(List<Long> addressesAndSizes) {
    for (int i = 0; i < addressesAndSizes.size(); i += 2) {
      runtime.free(addressesAndSizes.get(i));
      allocated -= addressesAndSizes.get(i + 1);
    }
    addressesAndSizes.clear();
  }

  @Override
  public NpuTensor fromHost(float[] data, int rows, int columns) {
    return as(uploadFloats(data, rows, columns), activation);
  }

  @Override
  public float[] toHost(NpuTensor tensor) {
    NpuTensor floats = contiguous(as(tensor, AclDType.FLOAT));
    runtime.synchronize(nn.stream());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(floats.elements() * 4L);
      runtime.memcpy(host, host.byteSize(), MemorySegment.ofAddress(floats.address()), host.byteSize(), AclRuntime.DEVICE_TO_HOST);
      return host.toArray(JAVA_FLOAT);
    }
  }

  /**
   * Greedy ids chosen on the device with {@code aclnnMaxDim}, which also gives each row's maximum: a row
   * whose maximum is NaN or infinite (a NaN counts as the maximum) answers -1. Only 12 bytes per row come
   * back.
   */
  @Override
  public int[] argmaxRows(NpuTensor tensor, int columns) {
    long rows = tensor.elements() / columns;
    NpuTensor input = as(tensor, AclDType.FLOAT);
    NpuTensor maxima = allocate(AclDType.FLOAT, rows);
    NpuTensor ids = allocate(AclDType.INT64, rows);
    nn.run("aclnnMaxDim", input, -1L, false, maxima, ids);
    runtime.synchronize(nn.stream());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment hostIds = arena.allocate(rows * 8);
      MemorySegment hostMaxima = arena.allocate(rows * 4);
      runtime.memcpy(hostIds, hostIds.byteSize(), MemorySegment.ofAddress(ids.address()), hostIds.byteSize(), AclRuntime.DEVICE_TO_HOST);
      runtime.memcpy(hostMaxima, hostMaxima.byteSize(), MemorySegment.ofAddress(maxima.address()), hostMaxima.byteSize(), AclRuntime.DEVICE_TO_HOST);
      long[] best = hostIds.toArray(JAVA_LONG);
      float[] values = hostMaxima.toArray(JAVA_FLOAT);
      int[] out = new int[best.length];
      for (int i = 0; i < best.length; i++) {
        out[i] = Float.isFinite(values[i]) ? Math.toIntExact(best[i]) : -1;
      }
      return out;
    }
  }

  @Override
  public NpuTensor selectRows(NpuTensor x, int[] rows) {
    NpuTensor out = allocate(x.dtype(), rows.length, x.dim(1));
    nn.run("aclnnIndexSelect", x, 0L, uploadLongs(longs(rows)), out);
    return out;
  }

  @Override
  public NpuTensor scale(NpuTensor x, float factor) {
    NpuTensor out = allocate(x.dtype(), x.shape());
    nn.run("aclnnMuls", x, new Aclnn.Scalar(factor), out);
    return out;
  }

  @Override
  public NpuTensor rmsNorm(NpuTensor x, NpuTensor onePlusWeight, double eps) {
    NpuTensor input = as(x, AclDType.FLOAT);
    NpuTensor y = allocate(AclDType.FLOAT, x.shape());
    NpuTensor rstd = allocate(AclDType.FLOAT, x.dim(0), 1);
    nn.run("aclnnRmsNorm", input, onePlusWeight, eps, y, rstd);
    return as(y, activation);
  }

  @Override
  public NpuTensor linear(NpuTensor x, LinearWeight linear) {
    NpuTensor weight = ((NpuLinear) linear).weight();
    NpuTensor out = allocate(activation, x.dim(0), weight.dim(0));
    nn.run("aclnnMm", x, as(weight, activation).transposed(), out, (byte) 0);
    return out;
  }

  @Override
  public NpuTensor rope(NpuTensor x, NpuTensor cos, NpuTensor sin, int heads) {
    long rows = x.dim(0);
    long headDim = x.dim(1) / heads;
    NpuTensor out = allocate(activation, 1, rows, heads, headDim);
    nn.run(
        "aclnnRotaryPositionEmbedding",
        x.reshape(1, rows, heads, headDim),
        cos.reshape(1, rows, 1, headDim),
        sin.reshape(1, rows, 1, headDim),
        0L,
        out);
    return out.reshape(rows, heads * headDim);
  }

  @Override
  public NpuTensor geluTanhMul(NpuTensor gate, NpuTensor up) {
    NpuTensor gelu = allocate(activation, gate.shape());
    nn.run("aclnnGeluV2", gate, 1L, gelu);
    NpuTensor out = allocate(activation, gate.shape());
    nn.run("aclnnMul", gelu, up, out);
    return out;
  }

  @Override
  public NpuTensor add(NpuTensor a, NpuTensor b) {
    NpuTensor out = allocate(activation, a.shape());
    nn.run("aclnnAdd", a, b, new Aclnn.Scalar(1f), out);
    return out;
  }

  @Override
  public NpuTensor softcap(NpuTensor x, double cap) {
    NpuTensor divided = scale(x, (float) (1.0 / cap));
    NpuTensor tanh = allocate(x.dtype(), x.shape());
    nn.run("aclnnTanh", divided, tanh);
    return scale(tanh, (float) cap);
  }

  @Override
  public AttentionStep<NpuTensor> prepareAttention(AttentionBatch batch, KvCache cache, double scale, double softcap) {
    if (!(cache instanceof NpuKvCache own) || !kvCaches.contains(own)) {
      throw new IllegalArgumentException("the KV cache was not allocated by this NPU backend, or is closed");
    }
    return new NpuAttentionStep(this, own, batch, (float) scale, (float) softcap);
  }

  /** Weights are copied to device memory: the checkpoint's files are not needed after loading. */
  @Override
  public boolean readsCheckpointAfterLoad() {
    return false;
  }

  @Override
  public long weightBytes() {
    return weightBytes;
  }

  @Override
  public long kvCacheBytes() {
    return kvCacheBytes;
  }

  long allocatedBytes() {
    return allocated;
  }

  long peakAllocatedBytes() {
    return peakAllocated;
  }

  void resetPeak() {
    peakAllocated = allocated;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    device.call(
        () -> {
          runtime.synchronize(nn.stream());
          nn.close();
          freeAll(persistent);
          for (NpuKvCache cache : kvCaches) {
            cache.tensors().forEach(this::free);
          }
          kvCaches.clear();
          kvCacheBytes = 0;
          return null;
        });
  }
}
