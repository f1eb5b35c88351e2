package dev.gemma4j.backend.npu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.internal.quant.WeightQuantizer;
import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.EmbeddingTable;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.KvCacheSpec;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.LinearWeight;
import dev.gemma4j.spi.NormWeight;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.spi.ResidualNorm;
import dev.gemma4j.spi.SampledRows;
import dev.gemma4j.spi.SamplingRow;
import dev.gemma4j.spi.TensorOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link TensorOps} on an Ascend NPU through CANN's aclnn operators. Weights are converted once, at load,
 * into what the matmuls consume: the activation dtype (bf16 by default, float32 for verification), so a
 * step makes no weight copy or cast. Norm weights are {@code 1 + w} in float32 and norms and softmax run in
 * float32, as the reference computes them. The KV cache is one {@code [slots, kvHeads * headDim]} tensor
 * per layer in device memory, addressed through the block tables of the shared cache manager. A step's
 * temporaries come from a {@link StepArena}, so steady-state steps allocate no device memory. Every call
 * runs on the backend's device thread.
 */
final class NpuTensorOps implements TensorOps<NpuTensor> {
  private static final ValueLayout.OfShort JAVA_SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Elements converted on the host per upload when a weight changes dtype at load. */
  private static final int CONVERT_CHUNK = 1 << 20;
  private final AclRuntime runtime;
  private final Aclnn nn;
  private final DeviceThread device;
  private final Precision precision;
  private final AclDType activation;
  private final StepArena arena;
  private final NpuFusions fusions;
  private final NpuSampler sampler = new NpuSampler(this);
  private final NpuQuantizedLayers quantizedLayers = new NpuQuantizedLayers(this);
  private final @org.jspecify.annotations.Nullable NpuGraphs graphs;
  private final List<Long> persistent = new ArrayList<>();
  private final List<NpuKvCache> kvCaches = new ArrayList<>();
  /** bf16 copies of the norm weights, by the float32 tensor's address, for aclnnAddRmsNorm in bf16 math. */
  private boolean stepOpen;
  private float foldedKeyScale;
  private int queryHeads;
  private long launchesAtLastSync;
  private long persistentBytes;
  private long weightBytes;
  private long kvCacheBytes;
  private long peakAllocated;
  private boolean closed;
  private NpuProbes probes = NpuProbes.ASSUMED;
  private final java.util.Map<Integer, NpuTensor> onesColumns = new java.util.HashMap<>();

  NpuTensorOps(AclRuntime runtime, Aclnn nn, DeviceThread device, Precision precision, NpuFusions fusions) {
    this.fusions = fusions;
    this.runtime = runtime;
    this.nn = nn;
    this.device = device;
    this.precision = precision;
    this.activation = precision == Precision.BFLOAT16 ? AclDType.BF16 : AclDType.FLOAT;
    this.arena = new StepArena(runtime);
    this.graphs = fusions.graphs() ? new NpuGraphs(runtime, nn.stream(), fusions.maxGraphs()) : null;
    if (graphs != null) {
      nn.useGraphs(graphs);
    }
  }

  /** Layer temporaries go to the arena region layer {@code layer - 2} used ({@link StepArena}). */
  @Override
  public void beginLayer(int layer) {
    if (stepOpen) {
      arena.enterLayer(layer);
    }
  }

  @Override
  public void endLayers() {
    arena.leaveLayers();
  }

  /**
   * The dominant temporaries of a step, from the allocations of {@link NpuAttentionStep} and the layer: two
   * layers' worth (the arena's two layer regions; a sliding and a full layer where the model has both),
   * each the larger of a decode over every sequence (keys and values gathered per sequence and KV head, then
   * scores, their tanh, the masked scores and the probabilities per head) and a prompt chunk of
   * {@code maxBatchTokens} rows; plus the step's own: the decode plans, the logits, and device sampling's
   * dozen float32 tables of the vocabulary's width.
   */
  @Override
  public long stepBytesFor(dev.gemma4j.config.ModelConfig config, dev.gemma4j.engine.EngineOptions options) {
    long a = activation.bytes();
    long sequences = Math.max(1, options.maxBatchSize());
    long chunk = options.maxBatchTokens();
    long context = config.maxPositions();
    long heads = config.numHeads();
    long kvHeads = config.numKvHeads();
    long headDim = config.headDim();
    long rows = Math.max(sequences, chunk);
    long rowTemporaries = rows * a * ((heads + 2 * kvHeads) * headDim * 3 + 6L * config.hiddenSize()
        + 3L * config.intermediateSize());
    java.util.function.LongUnaryOperator layer = keys -> rowTemporaries + Math.max(
        sequences * a * (2 * kvHeads * keys * headDim + 4 * heads * keys),
        a * (2 * kvHeads * keys * headDim + 4 * heads * chunk * keys));
    boolean sliding = config.layerTypes().contains(dev.gemma4j.config.LayerType.SLIDING);
    long window = Math.min(config.slidingWindow(), context);
    long layers = layer.applyAsLong(context) + (sliding ? layer.applyAsLong(window) : layer.applyAsLong(context));
    long plans = 2 * sequences * context * (kvHeads * Integer.BYTES + Float.BYTES);
    long logits = sequences * config.vocabSize() * (a + Float.BYTES);
    long sampling = fusions.deviceSampling() ? 12 * sequences * config.vocabSize() * Float.BYTES : 0;
    return layers + plans + logits + sampling;
  }

  /** The most device bytes one step's temporaries have held at once since the backend opened. */
  long stepPeakBytes() {
    return arena.peakBytes();
  }

  /** Asks the device what the docs leave open ({@link NpuProbes}); before any weight is loaded. */
  void probe() {
    probes = NpuProbes.run(this);
  }

  /** Takes what an earlier device of this CANN answered; before any weight is loaded. */
  void useProbes(NpuProbes answers) {
    probes = answers;
  }

  NpuProbes probes() {
    return probes;
  }

  /** Graph mode's captures and replays, or {@code null} when it is off. */
  @org.jspecify.annotations.Nullable NpuGraphs graphs() {
    return graphs;
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

  /** Device memory for a tensor: from the step arena while a step is open, else kept with the backend. */
  NpuTensor allocate(AclDType dtype, long... shape) {
    if (!stepOpen) {
      return allocatePersistent(dtype, shape);
    }
    NpuTensor t = NpuTensor.contiguous(arena.allocate(bytesOf(dtype, shape)), dtype, shape);
    notePeak();
    return t;
  }

  /** Device memory for a tensor kept with the backend until it closes, even while a step is open. */
  private NpuTensor allocatePersistent(AclDType dtype, long... shape) {
    NpuTensor t = allocateUntracked(dtype, shape);
    persistent.add(t.address());
    persistentBytes += bytesOf(dtype, shape);
    notePeak();
    return t;
  }

  /** Device memory for a tensor that its owner frees with {@link #free(NpuTensor)} (the KV cache's). */
  NpuTensor allocateUntracked(AclDType dtype, long... shape) {
    return NpuTensor.contiguous(runtime.malloc(bytesOf(dtype, shape)), dtype, shape);
  }

  private static long bytesOf(AclDType dtype, long... shape) {
    long elements = 1;
    for (long d : shape) {
      elements = Math.multiplyExact(elements, d);
    }
    return Math.max(1, elements) * dtype.bytes();
  }

  private void free(NpuTensor t) {
    runtime.free(t.address());
  }

  private void notePeak() {
    peakAllocated = Math.max(peakAllocated, allocatedBytes());
  }

  void upload(NpuTensor target, MemorySegment host) {
    upload(target.address(), target.storageElements() * target.dtype().bytes(), host);
  }

  private void upload(long address, long capacity, MemorySegment host) {
    if (graphs != null && graphs.capturing()) {
      if (arena.inLayer()) {
        // A staged upload is written when the capture ends, after later layers reused this region.
        throw new IllegalStateException("an upload inside a layer while a graph is captured; upload before the layers");
      }
      graphs.stage(address, capacity, host); // CANN forbids host copies while a graph is captured
      return;
    }
    runtime.memcpy(MemorySegment.ofAddress(address), capacity, host, host.byteSize(), AclRuntime.HOST_TO_DEVICE);
  }

  NpuTensor uploadFloats(float[] values, long... shape) {
    return uploadFloatsInto(allocate(AclDType.FLOAT, shape), values);
  }

  /** A float32 table kept with the backend (not in the step arena), though a step may be open. */
  NpuTensor uploadPersistent(float[] values, long... shape) {
    return uploadFloatsInto(allocatePersistent(AclDType.FLOAT, shape), values);
  }

  private NpuTensor uploadFloatsInto(NpuTensor t, float[] values) {
    return uploaded(t, arena -> arena.allocateFrom(JAVA_FLOAT, values));
  }

  NpuTensor uploadLongs(long[] values, long... shape) {
    return uploaded(allocate(AclDType.INT64, shape), arena -> arena.allocateFrom(ValueLayout.JAVA_LONG, values));
  }

  /** One byte per value, as {@code dtype} ({@link AclDType#BOOL} or {@link AclDType#INT8}). */
  NpuTensor uploadBytes(byte[] values, AclDType dtype, long... shape) {
    return uploaded(allocate(dtype, shape), arena -> arena.allocateFrom(ValueLayout.JAVA_BYTE, values));
  }

  /** INT32 values of the given shape. */
  NpuTensor uploadInts(int[] values, long... shape) {
    return uploaded(allocate(AclDType.INT32, shape), arena -> arena.allocateFrom(ValueLayout.JAVA_INT, values));
  }

  NpuTensor uploadInts(int[] values) {
    return uploadInts(values, values.length);
  }

  /** {@code t} holding what {@code host} lays out in a confined arena. */
  private NpuTensor uploaded(NpuTensor t, java.util.function.Function<Arena, MemorySegment> host) {
    try (Arena arena = Arena.ofConfined()) {
      upload(t, host.apply(arena));
    }
    return t;
  }

  /** Waits for the stream; a step that already waited after its last launch does not wait again. */
  void synchronize() {
    runtime.synchronize(nn.stream());
    launchesAtLastSync = nn.launches();
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

  long launches() {
    return nn.launches();
  }

  NpuFusions fusions() {
    return fusions;
  }

  AclDType activation() {
    return activation;
  }

  // ---- weights ----

  /**
   * A checkpoint tensor in device memory as {@code target}: copied as is when it already is, else converted
   * on the host a chunk at a time (widening is exact; narrowing rounds to nearest even, as {@code aclnnCast}
   * does) so no step ever converts it again.
   */
  NpuTensor uploadAs(Checkpoint checkpoint, TensorInfo tensor, AclDType target) {
    NpuTensor t = allocate(target, tensor.shape().stream().mapToLong(Long::longValue).toArray());
    uploadInto(t, 0, checkpoint, tensor, 1f);
    return t;
  }

  /**
   * Writes a checkpoint tensor, times {@code factor}, into {@code t} from element {@code at}, converted to
   * {@code t}'s dtype.
   */
  private void uploadInto(NpuTensor t, long at, Checkpoint checkpoint, TensorInfo tensor, float factor) {
    AclDType target = t.dtype();
    long elements = tensor.elementCount();
    long capacity = t.storageElements() * target.bytes();
    weightBytes += elements * target.bytes();
    if (stored(tensor) == target && factor == 1f) {
      MemorySegment source = checkpoint.segment(tensor, 0, tensor.byteLength());
      upload(t.address() + at * target.bytes(), capacity - at * target.bytes(), source);
      return;
    }
    int sourceBytes = tensor.dtype().bytes();
    ByteBuffer widened = ByteBuffer.allocate(4 * CONVERT_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment converted = arena.allocate((long) CONVERT_CHUNK * target.bytes());
      for (long done = 0; done < elements; done += CONVERT_CHUNK) {
        int n = (int) Math.min(CONVERT_CHUNK, elements - done);
        tensor.dtype().widenToFloat32(checkpoint.segment(tensor, done * sourceBytes, (long) n * sourceBytes).asByteBuffer(), widened.clear(), n);
        for (int i = 0; i < n; i++) {
          encode(converted, i, widened.getFloat(4 * i) * factor, target);
        }
        long offset = (at + done) * target.bytes();
        upload(t.address() + offset, capacity - offset, converted.asSlice(0, (long) n * target.bytes()));
      }
    }
  }

  /** Counts bytes of weights held on the device. */
  void addWeightBytes(long bytes) {
    weightBytes += bytes;
  }

  /** A whole checkpoint tensor widened to float32 on the host. */
  static float[] floats(Checkpoint checkpoint, TensorInfo tensor) {
    int n = Math.toIntExact(tensor.elementCount());
    ByteBuffer widened = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    tensor.dtype().widenToFloat32(checkpoint.segment(tensor, 0, tensor.byteLength()).asByteBuffer(), widened, n);
    float[] out = new float[n];
    widened.asFloatBuffer().get(out);
    return out;
  }

  private static AclDType stored(TensorInfo tensor) {
    return switch (tensor.dtype()) {
      case F32 -> AclDType.FLOAT;
      case BF16 -> AclDType.BF16;
      case F16 -> AclDType.FLOAT16;
      case I32 -> throw new ModelFormatException(tensor.name() + " is int32 where a float tensor belongs");
    };
  }

  /** Element {@code i} of a host buffer of {@code target} values: {@code value} in that dtype. */
  private static void encode(MemorySegment out, long i, float value, AclDType target) {
    switch (target) {
      case FLOAT -> out.setAtIndex(JAVA_FLOAT, i, value);
      case BF16 -> out.setAtIndex(JAVA_SHORT_LE, i, bfloat16Bits(value));
      case FLOAT16 -> out.setAtIndex(JAVA_SHORT_LE, i, Float.floatToFloat16(value));
      default -> throw new IllegalArgumentException("host values are never encoded as " + target);
    }
  }

  /** bfloat16 bits of a float, rounded to nearest even (NaN stays NaN). */
  static short bfloat16Bits(float value) {
    if (Float.isNaN(value)) {
      return (short) ((Float.floatToRawIntBits(value) >>> 16) | 0x40);
    }
    return (short) (Float.floatToRawIntBits(Precision.BFLOAT16.round(value)) >>> 16);
  }

  @Override
  public LinearWeight loadLinear(Checkpoint checkpoint, LinearSource source) {
    return switch (source) {
      case LinearSource.Dense dense -> new NpuLinear(uploadAs(checkpoint, dense.weight(), activation));
      case LinearSource.QuantizeAtLoad quantize -> quantizedLayers.quantizeAtLoad(checkpoint, quantize);
      case LinearSource.Awq awq -> quantizedLayers.awq(checkpoint, awq);
    };
  }

  /** Dense layers of a group stacked into one {@code [sum of outputs, in]} matrix, so the group is one {@code Mm}. */
  @Override
  public LinearWeight loadLinearGroup(Checkpoint checkpoint, List<LinearSource> sources) {
    return loadStacked(checkpoint, sources, -1);
  }

  /**
   * Stacked as {@link #loadLinearGroup}; where the model says the keys reach attention through RoPE alone, the
   * keys' rows are multiplied by the attention's {@code scale / softcap} (or {@code scale} without a soft-cap) on
   * the way, so the cached keys come pre-scaled and attention skips one {@code Muls} per layer:
   * {@code q · (c k) = c (q · k)}, rotary embedding being linear.
   */
  @Override
  public LinearWeight loadAttentionProjections(
      Checkpoint checkpoint, List<LinearSource> qkv, boolean keysReachAttentionLinearly) {
    queryHeads = checkpoint.config().numHeads();
    return loadStacked(checkpoint, qkv, keysReachAttentionLinearly ? 1 : -1);
  }

  /** The loaded model's query heads (what a fused attention kernel's limits are checked against); 0 before. */
  int queryHeads() {
    return queryHeads;
  }

  private LinearWeight loadStacked(Checkpoint checkpoint, List<LinearSource> sources, int scaledPart) {
    if (!fusions.stackedMatmuls() || !sources.stream().allMatch(LinearSource.Dense.class::isInstance)) {
      return TensorOps.super.loadLinearGroup(checkpoint, sources);
    }
    List<TensorInfo> parts = sources.stream().map(s -> ((LinearSource.Dense) s).weight()).toList();
    long in = parts.getFirst().shape().get(1);
    long[] widths = parts.stream().mapToLong(t -> t.shape().get(0)).toArray();
    NpuTensor stacked = allocate(activation, java.util.Arrays.stream(widths).sum(), in);
    long row = 0;
    for (int i = 0; i < parts.size(); i++) {
      float factor = i == scaledPart ? keyScale(checkpoint.config()) : 1f;
      if (i == scaledPart) {
        foldedKeyScale = factor;
      }
      uploadInto(stacked, row * in, checkpoint, parts.get(i), factor);
      row += parts.get(i).shape().get(0);
    }
    return new NpuLinear(stacked, widths);
  }

  /** What the keys are multiplied by at load: the factor attention applies to {@code q · k} before {@code tanh}. */
  static float keyScale(dev.gemma4j.config.ModelConfig config) {
    return keyScale(config.attentionScale(), config.attnSoftcap());
  }

  /** The factor on {@code q · k} before {@code tanh}: {@code scale / softcap}, or {@code scale} without a soft-cap. */
  static float keyScale(double scale, double softcap) {
    return (float) (softcap > 0 ? scale / softcap : scale);
  }

  /** The factor the cached keys carry, or 0 when they are stored as computed. */
  float foldedKeyScale() {
    return foldedKeyScale;
  }

  /** With quantization at load: levels and bf16 scales (and offsets for 4 bits), or float32 for float32 math. */
  @Override
  public long weightBytesFor(Checkpoint checkpoint, WeightQuantization quantize) {
    if (quantize == WeightQuantization.NONE || activation == AclDType.FLOAT) {
      return weightBytesFor(checkpoint);
    }
    long bytes = 0;
    for (TensorInfo t : checkpoint.tensors().values()) {
      long elements = t.elementCount();
      if (!t.name().endsWith("_proj.weight")) {
        bytes += floatBytes(t);
      } else if (quantize == WeightQuantization.INT8) {
        bytes += elements + t.shape().get(0) * activation.bytes();
      } else {
        int group = WeightQuantizer.int4GroupSize(t.shape().get(1));
        bytes += elements / 2 + 2 * (elements / Math.max(group, 1)) * activation.bytes();
      }
    }
    return bytes;
  }

  /**
   * What the weights take on the device: matrices and the embedding in the activation dtype (twice a bf16
   * checkpoint's bytes in float32 math), norm weights in float32.
   */
  @Override
  public long weightBytesFor(Checkpoint checkpoint) {
    long bytes = 0;
    for (TensorInfo t : checkpoint.tensors().values()) {
      String name = t.name();
      if (name.endsWith(".qweight")) {
        // 8 weights per int32: as 4-bit (same bytes), or dequantized to float32 for float32 math
        bytes += activation == AclDType.FLOAT ? 32 * t.elementCount() : 4 * t.elementCount();
      } else if (name.endsWith(".qzeros")) {
        bytes += activation == AclDType.FLOAT ? 0 : 8 * t.elementCount() * activation.bytes();
      } else if (name.endsWith(".scales")) {
        bytes += activation == AclDType.FLOAT ? 0 : t.elementCount() * activation.bytes();
      } else {
        bytes += floatBytes(t);
      }
    }
    return bytes;
  }

  /**
   * Device bytes of a float tensor as loaded: norm weights in float32 (and a bf16 copy for AddRmsNorm in bf16
   * math), everything else in the activation dtype.
   */
  private long floatBytes(TensorInfo t) {
    int normBytes = keepsBf16Gammas() ? 6 : 4;
    return t.elementCount() * (t.name().endsWith("norm.weight") ? normBytes : activation.bytes());
  }

  /** Whether bf16 math takes aclnnAddRmsNorm, with its bf16 {@code 1 + w} ({@link NpuFusions#fusedBf16Norm}). */
  private boolean fusesBf16Norms() {
    return activation == AclDType.BF16 && fusions.addRmsNorm() && fusions.fusedBf16Norm();
  }

  /** Whether each norm weight also has a bf16 {@code 1 + w}: for fused bf16 norms, or an RmsNorm that wants one. */
  private boolean keepsBf16Gammas() {
    return fusesBf16Norms() || activation == AclDType.BF16 && !probes.rmsNormFloatGamma();
  }

  @Override
  public NormWeight loadNormWeight(Checkpoint checkpoint, TensorInfo tensor) {
    // (1 + w) in float32 on the host, as the reference computes it.
    float[] onePlus = floats(checkpoint, tensor);
    int n = onePlus.length;
    for (int i = 0; i < n; i++) {
      onePlus[i] += 1f;
    }
    weightBytes += 4L * n;
    NpuTensor gamma = uploadFloats(onePlus, n);
    NpuTensor bf16 = null;
    if (keepsBf16Gammas()) {
      // aclnnAddRmsNorm (and an RmsNorm that refuses a float32 gamma) wants gamma in x's dtype: 1 + w
      // precomputed in bf16, as vllm-ascend does
      bf16 = fromHost(onePlus, 1, n).reshape(n);
      weightBytes += 2L * n;
    }
    return new NpuNormWeight(gamma, bf16);
  }

  private static NpuNormWeight npu(NormWeight weight) {
    if (weight instanceof NpuNormWeight npu) {
      return npu;
    }
    throw new IllegalArgumentException(weight + " was not loaded by the NPU backend");
  }

  @Override
  public EmbeddingTable<NpuTensor> loadEmbedding(Checkpoint checkpoint, TensorInfo tensor) {
    return new NpuEmbeddingTable(this, uploadAs(checkpoint, tensor, activation));
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
        synchronize();
        cache.tensors().forEach(this::free);
        kvCacheBytes -= cache.bytes();
      }
      return null;
    });
  }

  // ---- steps ----

  /**
   * Opens a step. Closing it waits for the stream unless the step already did after its last launch (a
   * greedy step waits once, for its token ids), then recycles the arena.
   */
  @Override
  public Step openStep() {
    if (stepOpen) {
      throw new IllegalStateException("a step is already open");
    }
    stepOpen = true;
    return () -> {
      stepOpen = false;
      try {
        if (graphs != null) {
          graphs.abandon(); // a step that failed while capturing leaves no capture open
        }
        if (nn.launches() != launchesAtLastSync) {
          synchronize(); // queued operators still use the step's memory
        }
      } finally {
        if (arena.reset() && graphs != null) {
          graphs.invalidate();
        }
      }
    };
  }

  /** Rows uploaded in the activation dtype, rounded on the host, so no cast runs on the device. */
  @Override
  public NpuTensor fromHost(float[] data, int rows, int columns) {
    if (activation == AclDType.FLOAT) {
      return uploadFloats(data, rows, columns);
    }
    NpuTensor t = allocate(AclDType.BF16, rows, columns);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(2L * data.length);
      for (int i = 0; i < data.length; i++) {
        encode(host, i, data[i], AclDType.BF16);
      }
      upload(t, host);
    }
    return t;
  }

  @Override
  public float[] toHost(NpuTensor tensor) {
    NpuTensor floats = contiguous(as(tensor, AclDType.FLOAT));
    synchronize();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment host = arena.allocate(floats.elements() * 4L);
      download(host, floats);
      return host.toArray(JAVA_FLOAT);
    }
  }

  void download(MemorySegment host, NpuTensor from) {
    runtime.memcpy(host, host.byteSize(), MemorySegment.ofAddress(from.address() + from.offset() * from.dtype().bytes()),
        host.byteSize(), AclRuntime.DEVICE_TO_HOST);
  }

  /**
   * Greedy ids chosen on the device with {@code aclnnMaxDim}, which also gives each row's maximum: a row
   * whose maximum is NaN or infinite (a NaN counts as the maximum) answers -1. Eight bytes per row come
   * back: the id as int32 and the maximum as float32.
   */
  @Override
  public int[] argmaxRows(NpuTensor tensor, int columns) {
    long rows = tensor.elements() / columns;
    NpuTensor input = as(tensor, AclDType.FLOAT);
    NpuTensor maxima = allocate(AclDType.FLOAT, rows);
    NpuTensor ids = allocate(AclDType.INT64, rows);
    nn.run("aclnnMaxDim", input, -1L, false, maxima, ids);
    NpuTensor narrowIds = as(ids, AclDType.INT32);
    NpuTensor sums = null;
    if (!probes.maxDimNaN()) {
      // This MaxDim skips NaN: a row's sum (an Mm with ones) is not finite exactly when the row is not.
      sums = allocate(AclDType.FLOAT, rows, 1);
      nn.run("aclnnMm", input.reshape(rows, columns), onesColumn(columns), sums, (byte) 0);
    }
    synchronize();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment hostIds = arena.allocate(rows * 4);
      MemorySegment hostMaxima = arena.allocate(rows * 4);
      download(hostIds, narrowIds);
      download(hostMaxima, maxima);
      int[] best = hostIds.toArray(ValueLayout.JAVA_INT);
      float[] values = hostMaxima.toArray(JAVA_FLOAT);
      float[] rowSums = sums == null ? null : toHost(sums);
      for (int i = 0; i < best.length; i++) {
        boolean finite = Float.isFinite(values[i]) && (rowSums == null || Float.isFinite(rowSums[i]));
        best[i] = finite ? best[i] : -1;
      }
      return best;
    }
  }

  /** {@code [columns, 1]} of ones, kept per width. */
  private NpuTensor onesColumn(int columns) {
    NpuTensor ones = onesColumns.get(columns);
    if (ones == null) {
      float[] values = new float[columns];
      java.util.Arrays.fill(values, 1f);
      ones = uploadPersistent(values, columns, 1);
      onesColumns.put(columns, ones);
    }
    return ones;
  }

  /** Device sampling, where CANN has its operators and sorts and reports NaN as it relies on. */
  @Override
  public boolean samplesOnDevice() {
    return fusions.deviceSampling() && probes.stableSort() && probes.maxDimNaN();
  }

  /** See {@link NpuSampler}. */
  @Override
  public SampledRows sampleRows(NpuTensor logits, int columns, SamplingRow[] draws) {
    return sampler.sample(logits, columns, draws);
  }


  @Override
  public NpuTensor selectRows(NpuTensor x, int[] rows) {
    NpuTensor out = allocate(x.dtype(), rows.length, x.dim(1));
    nn.run("aclnnIndexSelect", x, 0L, uploadInts(rows), out);
    return out;
  }

  @Override
  public NpuTensor scale(NpuTensor x, float factor) {
    NpuTensor out = allocate(x.dtype(), x.shape());
    nn.run("aclnnMuls", x, new Aclnn.Scalar(factor), out);
    return out;
  }

  /**
   * One {@code aclnnRmsNorm} in the activation dtype with the float32 {@code 1 + w}: on A2/A3 it takes
   * bf16 x with float32 gamma and computes in float32 (aclnnRmsNorm.md, "各平台支持数据类型说明"), as the
   * reference does before rounding the result to bf16.
   */
  @Override
  public NpuTensor rmsNorm(NpuTensor x, NormWeight weight, double eps) {
    NpuTensor input = contiguous(x);
    NpuTensor y = allocate(input.dtype(), input.shape());
    NpuTensor rstd = allocate(AclDType.FLOAT, input.dim(0), 1);
    NpuTensor gamma = npu(weight).onePlusWeight();
    if (input.dtype() != AclDType.FLOAT && !probes.rmsNormFloatGamma()) {
      gamma = java.util.Objects.requireNonNull(npu(weight).bf16OnePlusWeight(), "a bf16 1 + w");
    }
    nn.run("aclnnRmsNorm", input, gamma, eps, y, rstd);
    return y;
  }

  /** One {@code Mm} for a stacked group; its parts are column views of the product. */
  @Override
  public List<NpuTensor> linearGroup(NpuTensor x, LinearWeight group) {
    if (!(group instanceof NpuLinear stacked) || !stacked.stacked()) {
      return TensorOps.super.linearGroup(x, group);
    }
    NpuTensor product = allocate(activation, x.dim(0), stacked.weight().dim(0));
    nn.run("aclnnMm", x, stacked.weight().transposed(), product, (byte) 0);
    List<NpuTensor> parts = new ArrayList<>();
    long column = 0;
    for (long width : stacked.widths()) {
      parts.add(product.view(new long[] {x.dim(0), width}, new long[] {product.dim(1), 1}, column));
      column += width;
    }
    return parts;
  }

  /**
   * With {@code aclnnGeGluV3} (approximate 1: tanh GELU): one {@code Mm} over the stacked gate and up weights,
   * then one launch.
   */
  @Override
  public NpuTensor gatedActivation(NpuTensor x, LinearWeight gateUp, dev.gemma4j.config.Activation kind) {
    if (kind != dev.gemma4j.config.Activation.GELU_TANH || !(gateUp instanceof NpuLinear stacked)
        || stacked.widths().length != 2 || !fusions.geGlu()) {
      return TensorOps.super.gatedActivation(x, gateUp, kind);
    }
    NpuTensor product = allocate(activation, x.dim(0), stacked.weight().dim(0));
    nn.run("aclnnMm", x, stacked.weight().transposed(), product, (byte) 0);
    long half = stacked.weight().dim(0) / 2;
    NpuTensor out = allocate(activation, x.dim(0), half);
    NpuTensor gelu = allocate(activation, x.dim(0), half);
    nn.run("aclnnGeGluV3", product, -1L, 1L, true, out, gelu);
    return out;
  }

  /**
   * With {@code aclnnAddRmsNorm}: the residual addition and the next norm in one launch. Its gamma must have
   * x's dtype, so bf16 math multiplies by {@code 1 + w} precomputed in bf16 (as vllm-ascend does), and its
   * bf16 kernels round {@code x / rms} before that product and round again; measured against the CPU's bf16
   * math and the reference that is closer than one rounding with the float32 {@code 1 + w}
   * ({@code NpuGoldenTest}), which {@link NpuFusions#fusedBf16Norm} off takes instead.
   */
  @Override
  public ResidualNorm<NpuTensor> addRmsNorm(NpuTensor h, NpuTensor y, NormWeight weight, double eps) {
    NpuTensor gamma = activation == AclDType.FLOAT ? npu(weight).onePlusWeight()
        : fusesBf16Norms() ? npu(weight).bf16OnePlusWeight() : null;
    if (!fusions.addRmsNorm() || gamma == null) {
      return TensorOps.super.addRmsNorm(h, y, weight, eps);
    }
    NpuTensor sum = allocate(activation, h.shape());
    NpuTensor normed = allocate(activation, h.shape());
    NpuTensor rstd = allocate(AclDType.FLOAT, h.dim(0), 1);
    nn.run("aclnnAddRmsNorm", h, y, gamma, eps, normed, rstd, sum);
    return new ResidualNorm<>(sum, normed);
  }

  @Override
  public NpuTensor linear(NpuTensor x, LinearWeight linear) {
    if (linear instanceof NpuQuantLinear quantized) {
      NpuTensor out = allocate(activation, x.dim(0), quantized.outFeatures());
      nn.run("aclnnWeightQuantBatchMatmulV2", contiguous(x), quantized.weight(), quantized.scale(),
          quantized.offset() != null ? quantized.offset() : Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL,
          quantized.groupSize(), out);
      return out;
    }
    NpuTensor weight = ((NpuLinear) linear).weight();
    NpuTensor out = allocate(activation, x.dim(0), weight.dim(0));
    nn.run("aclnnMm", x, weight.transposed(), out, (byte) 0);
    return out;
  }

  /** One {@code aclnnRmsNorm} over the rows seen as {@code rows * heads} rows of one head each. */
  @Override
  public NpuTensor rmsNormHeads(NpuTensor x, NormWeight weight, int heads, double eps) {
    NpuTensor input = contiguous(x);
    long rows = input.dim(0);
    long width = input.dim(1);
    return rmsNorm(input.reshape(rows * heads, width / heads), weight, eps).reshape(rows, width);
  }

  @Override
  public NpuTensor rope(NpuTensor x, NpuTensor cos, NpuTensor sin, int heads) {
    long rows = x.dim(0);
    long headDim = x.dim(1) / heads;
    NpuTensor out = allocate(activation, 1, rows, heads, headDim);
    long rowStride = x.strides()[0];
    nn.run(
        "aclnnRotaryPositionEmbedding",
        x.view(new long[] {1, rows, heads, headDim}, new long[] {rows * rowStride, rowStride, headDim, 1}, x.offset()),
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

  /** Device bytes this backend holds: weights and other persistent tensors, KV caches, the step arena. */
  long allocatedBytes() {
    return persistentBytes + kvCacheBytes + arena.heldBytes();
  }

  long peakAllocatedBytes() {
    return peakAllocated;
  }

  void resetPeak() {
    peakAllocated = allocatedBytes();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    device.call(
        () -> {
          synchronize();
          if (graphs != null) {
            graphs.close();
          }
          nn.close();
          arena.close();
          persistent.forEach(runtime::free);
          persistent.clear();
          persistentBytes = 0;
          for (NpuKvCache cache : kvCaches) {
            cache.tensors().forEach(this::free);
          }
          kvCaches.clear();
          kvCacheBytes = 0;
          return null;
        });
  }
}
