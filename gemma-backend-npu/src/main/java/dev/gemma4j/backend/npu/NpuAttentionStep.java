package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.AttentionStep;
import dev.gemma4j.spi.KvCacheGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Attention on the NPU, per KV-cache group. Keys and values are written into the paged cache at the slots the
 * block tables give ({@code aclnnScatterPaKvCache}, or {@code aclnnInplaceIndexCopy} where a CANN lacks it).
 * Then:
 *
 * <ul>
 *   <li>without an attention soft-cap (Gemma 3), in 16-bit math, outside graph mode and within its documented
 *       constraints, every <b>decoding</b> sequence in one {@code aclnnIncreFlashAttentionV4} launch (page
 *       attention): each sequence's block table starts at the block of its first visible key and a mask hides
 *       the keys before the window in that block and past the sequence's length;
 *   <li>otherwise (no fused Ascend kernel applies Gemma 2's tanh soft-cap) unfused:
 *   <li>every <b>decoding</b> sequence (one query row) together, in a fixed number of launches whatever the
 *       batch: one {@code IndexSelect} gathers all their keys (and one their values) through a padded
 *       {@code [sequences, kvHeads, longest]} row table, laid out {@code [sequences * kvHeads, keys, headDim]}
 *       so the keys' transpose is a plain transpose of the last two dimensions; one {@code BatchMatMul}
 *       with the queries seen as {@code [sequences * kvHeads, group, headDim]}; the scaled soft-cap and one
 *       mask for the whole batch (padding is negative infinity), uploaded once per step and layer kind;
 *       one {@code Softmax} (float32 inside); one {@code BatchMatMul} with the values. Padding points at the
 *       sequence's first key, so it never reads unwritten memory.
 *   <li>every <b>prefilling</b> sequence (a prompt chunk) on its own, with a causal mask.
 * </ul>
 */
final class NpuAttentionStep implements AttentionStep<NpuTensor> {
  private final NpuTensorOps ops;
  private final NpuKvCache cache;
  private final AttentionBatch batch;
  private final int[] decoding;
  private final int[] prefilling;
  /** Per KV-cache group, what its layers read and write in this step. */
  private final Plan[] plans;
  /** Whether decoding sequences may take {@code aclnnIncreFlashAttentionV4} in this step. */
  private final boolean fusedDecode;
  private final float scale;
  private final float softcap;
  /** Per KV-cache group, the keys each decoding sequence's row holds (the longest context, padded in graph mode). */
  private final int[] groupKeys;
  private final boolean keysPrescaled;

  /** Graph mode pads the decoding sequences' keys to a multiple of this, so one graph serves many steps. */
  static final int GRAPH_KEY_BUCKET = 64;

  /** One KV-cache group's indices and masks, uploaded once for every layer of the group in the step. */
  private record Plan(
      @Nullable NpuTensor writeSlots, @Nullable DecodePlan decode, @Nullable FusedDecodePlan fused, List<PrefillPlan> prefill) {}

  /**
   * The decoding sequences of a group for {@code aclnnIncreFlashAttentionV4}: each sequence's table starts at
   * the block of its first visible key, so a sliding window reads only its window's blocks.
   *
   * @param blockTable INT32 {@code [sequences, width]}; entries past a sequence's blocks repeat its first block
   * @param mask BOOL {@code [sequences, 1, 1, width * blockSize]}, true for the keys before the window (inside
   *     the first block) and past the sequence's length
   * @param lengths the keys each sequence reads through its table, the masked ones at its start included
   * @param queryRows the decoding sequences' rows of the step, or {@code null} when every row decodes
   */
  private record FusedDecodePlan(NpuTensor blockTable, NpuTensor mask, long[] lengths, @Nullable NpuTensor queryRows) {}

  /**
   * @param keyRows {@code [sequences * kvHeads * keys]} rows of the cache seen as {@code [slots * kvHeads, headDim]}
   * @param keys the longest visible context among the decoding sequences
   * @param mask {@code [sequences, 1, keys]}: 0 for a visible key, negative infinity for padding
   * @param queryRows the decoding sequences' rows of the step, or {@code null} when every row decodes
   */
  private record DecodePlan(NpuTensor keyRows, long keys, NpuTensor mask, @Nullable NpuTensor queryRows) {}

  private record PrefillPlan(int sequence, NpuTensor keySlots, NpuTensor mask) {}

  NpuAttentionStep(NpuTensorOps ops, NpuKvCache cache, AttentionBatch batch, float scale, float softcap) {
    this.ops = ops;
    this.cache = cache;
    this.batch = batch;
    this.scale = scale;
    this.softcap = softcap;
    this.keysPrescaled = ops.foldedKeyScale() != 0;
    if (keysPrescaled) {
      float expected = NpuTensorOps.keyScale(scale, softcap);
      if (Math.abs(ops.foldedKeyScale() - expected) > 1e-6f * Math.abs(expected)) {
        throw new IllegalStateException("the cached keys were scaled by " + ops.foldedKeyScale() + " at load, but this"
            + " attention applies " + expected);
      }
    }
    int[] all = java.util.stream.IntStream.range(0, batch.sequences()).toArray();
    this.decoding = Arrays.stream(all).filter(s -> batch.queryLength(s) == 1).toArray();
    this.prefilling = Arrays.stream(all).filter(s -> batch.queryLength(s) > 1).toArray();
    NpuGraphs graphs = ops.graphs();
    boolean graphed = graphs != null && prefilling.length == 0 && decoding.length > 0;
    // IncreFlashAttention takes no soft-cap and no float32; its host lengths would be baked into a captured graph.
    this.fusedDecode = !graphed && softcap == 0 && ops.fusions().increFlashAttention() && ops.activation() != AclDType.FLOAT;
    int groups = cache.spec().groups().size();
    this.groupKeys = new int[groups];
    for (int g = 0; g < groups; g++) {
      groupKeys[g] = keys(g, graphed);
    }
    if (graphed) {
      // before the uploads: a capture stages them
      graphs.begin(new NpuGraphs.Key(decoding.length, Arrays.stream(groupKeys).mapToObj(k -> (long) k).toList()));
    }
    this.plans = new Plan[groups];
    for (int g = 0; g < groups; g++) {
      plans[g] = upload(g);
    }
  }

  private Plan upload(int group) {
    if (cache.spec().layersIn(group) == 0) {
      return new Plan(null, null, null, List.of());
    }
    List<PrefillPlan> prefill = new ArrayList<>();
    for (int s : prefilling) {
      int[] slots = batch.keySlots(s, group);
      prefill.add(new PrefillPlan(s, ops.uploadInts(slots), ops.uploadFloats(batch.additiveMask(s, group), batch.queryLength(s), slots.length)));
    }
    NpuTensor writes = ops.uploadInts(batch.writeSlots(group));
    if (decoding.length == 0) {
      return new Plan(writes, null, null, prefill);
    }
    if (fusedDecode && increFlashAttentionFits(cache.spec().groups().get(group))) {
      return new Plan(writes, null, fusedDecodePlan(group), prefill);
    }
    return new Plan(writes, decodePlan(group), null, prefill);
  }

  /**
   * Whether {@code aclnnIncreFlashAttentionV4}'s documented constraints hold for a group on Atlas A2/A3
   * (ops-transformer {@code attention/incre_flash_attention/docs/aclnnIncreFlashAttentionV4.md}, 约束说明):
   * blockSize 16 to 512 in multiples of 16 for 16-bit caches; at most 256 query heads, 64 per KV head, head
   * size 512, 65,536 sequences; {@code KV_N * D} below 64K in the {@code (blocknum, blocksize, H)} layout.
   */
  private boolean increFlashAttentionFits(KvCacheGroup group) {
    int heads = ops.queryHeads();
    return heads > 0 && group.blockSize() % 16 == 0 && group.blockSize() <= 512 && group.headDim() <= 512 && heads <= 256
        && heads % group.kvHeads() == 0 && heads / group.kvHeads() <= 64 && group.width() < 65536
        && decoding.length <= 65536;
  }

  private FusedDecodePlan fusedDecodePlan(int group) {
    int blockSize = batch.blockSize();
    int sequences = decoding.length;
    int[] first = new int[sequences];
    long[] lengths = new long[sequences];
    int width = 1;
    for (int i = 0; i < sequences; i++) {
      int s = decoding[i];
      first[i] = batch.firstVisibleKey(s, group) / blockSize;
      lengths[i] = batch.contextLength()[s] - (long) first[i] * blockSize;
      width = Math.max(width, (int) ((lengths[i] + blockSize - 1) / blockSize));
    }
    int[] table = new int[sequences * width];
    byte[] mask = new byte[sequences * width * blockSize];
    for (int i = 0; i < sequences; i++) {
      int s = decoding[i];
      int blocks = (int) ((lengths[i] + blockSize - 1) / blockSize);
      int own = batch.tables(group).block(s, first[i]);
      for (int j = 0; j < width; j++) {
        table[i * width + j] = j < blocks ? batch.tables(group).block(s, first[i] + j) : own;
      }
      int before = batch.firstVisibleKey(s, group) - first[i] * blockSize;
      for (int p = 0; p < width * blockSize; p++) {
        mask[i * width * blockSize + p] = (byte) (p < before || p >= lengths[i] ? 1 : 0);
      }
    }
    NpuTensor queryRows = prefilling.length == 0 ? null
        : ops.uploadInts(Arrays.stream(decoding).map(s -> batch.queryStart()[s]).toArray());
    return new FusedDecodePlan(ops.uploadInts(table, sequences, width),
        ops.uploadBytes(mask, AclDType.BOOL, sequences, 1, 1, (long) width * blockSize), lengths, queryRows);
  }

  /** The longest visible context among the decoding sequences in a group, padded in graph mode. */
  private int keys(int group, boolean graphed) {
    if (cache.spec().layersIn(group) == 0) {
      return 0;
    }
    int longest = 0;
    for (int s : decoding) {
      longest = Math.max(longest, batch.contextLength()[s] - batch.firstVisibleKey(s, group));
    }
    return graphed ? (longest + GRAPH_KEY_BUCKET - 1) / GRAPH_KEY_BUCKET * GRAPH_KEY_BUCKET : longest;
  }

  private DecodePlan decodePlan(int group) {
    int kvHeads = cache.spec().groups().get(group).kvHeads();
    int[][] slots = new int[decoding.length][];
    int keys = groupKeys[group];
    for (int i = 0; i < decoding.length; i++) {
      slots[i] = batch.keySlots(decoding[i], group);
    }
    int[] rows = new int[Math.multiplyExact(Math.multiplyExact(decoding.length, kvHeads), keys)];
    float[] mask = new float[decoding.length * keys];
    for (int i = 0; i < decoding.length; i++) {
      for (int j = 0; j < keys; j++) {
        boolean visible = j < slots[i].length;
        mask[i * keys + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
        int slot = visible ? slots[i][j] : slots[i][0];
        for (int kv = 0; kv < kvHeads; kv++) {
          rows[(i * kvHeads + kv) * keys + j] = slot * kvHeads + kv;
        }
      }
    }
    NpuTensor queryRows = null;
    if (prefilling.length > 0) {
      int[] queries = Arrays.stream(decoding).map(s -> batch.queryStart()[s]).toArray();
      queryRows = ops.uploadInts(queries);
    }
    return new DecodePlan(ops.uploadInts(rows), keys, ops.uploadFloats(mask, decoding.length, 1, keys), queryRows);
  }

  @Override
  public NpuTensor attend(int layer, NpuTensor q, NpuTensor k, NpuTensor v) {
    Plan plan = plans[cache.spec().groupOf(layer)];
    KvCacheGroup group = cache.spec().group(layer);
    NpuTensor keyCache = cache.keys(layer);
    NpuTensor valueCache = cache.values(layer);
    write(group, plan.writeSlots(), keyCache, valueCache, k, v);
    NpuTensor out = ops.allocate(ops.activation(), q.dim(0), q.dim(1));
    if (plan.decode() != null) {
      decode(group, plan.decode(), keyCache, valueCache, q, out);
    }
    if (plan.fused() != null) {
      decodeFused(group, plan.fused(), keyCache, valueCache, q, out);
    }
    for (PrefillPlan p : plan.prefill()) {
      prefill(group, p, keyCache, valueCache, q, out);
    }
    return out;
  }

  /** After the last layer: in graph mode the captured layers run now (one launch). */
  @Override
  public void finish() {
    NpuGraphs graphs = ops.graphs();
    if (graphs != null && graphs.end()) {
      ops.nn().countGraphLaunch();
    }
  }

  /**
   * Writes the step's keys and values at their slots: one {@code aclnnScatterPaKvCache} ("Norm" mode, the
   * cache seen as {@code [blocks, blockSize, kvHeads, headDim]}) where CANN has it and the cache is in 16
   * or 8 bits (on A2/A3 the operator takes no float32), else one {@code InplaceIndexCopy} each. The scatter
   * reads contiguous inputs: the keys come contiguous from RoPE, the values (a column view of the stacked
   * q/k/v product) are copied, as vllm-ascend does, so the launches do not depend on the batch.
   */
  private void write(KvCacheGroup group, NpuTensor slots, NpuTensor keyCache, NpuTensor valueCache, NpuTensor k, NpuTensor v) {
    Aclnn nn = ops.nn();
    if (ops.fusions().scatterKvCache() && keyCache.dtype() != AclDType.FLOAT) {
      long rows = k.dim(0);
      long kvHeads = group.kvHeads();
      long headDim = group.headDim();
      long blockSize = group.blockSize();
      long[] paged = {keyCache.dim(0) / blockSize, blockSize, kvHeads, headDim};
      nn.run("aclnnScatterPaKvCache",
          ops.contiguous(k).reshape(rows, kvHeads, headDim), keyCache.reshape(paged), slots,
          ops.contiguous(v).reshape(rows, kvHeads, headDim), valueCache.reshape(paged),
          Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, "Norm", "None", Aclnn.NULL, Aclnn.NULL);
      return;
    }
    nn.run("aclnnInplaceIndexCopy", keyCache, 0L, slots, k);
    nn.run("aclnnInplaceIndexCopy", valueCache, 0L, slots, v);
  }

  /**
   * Attention of every decoding sequence in one {@code aclnnIncreFlashAttentionV4} launch (page attention, BSH):
   * the queries {@code [sequences, 1, heads * headDim]} against the group's cache seen as
   * {@code [blocks, blockSize, kvHeads * headDim]} through each sequence's block table; the scale is attention's,
   * or 1 where the keys carry it from load.
   */
  private void decodeFused(KvCacheGroup cacheGroup, FusedDecodePlan plan, NpuTensor keyCache, NpuTensor valueCache,
      NpuTensor q, NpuTensor out) {
    Aclnn nn = ops.nn();
    long sequences = decoding.length;
    long qWidth = q.dim(1);
    NpuTensor queries = q;
    if (plan.queryRows() != null) {
      queries = ops.allocate(q.dtype(), sequences, qWidth);
      nn.run("aclnnIndexSelect", q, 0L, plan.queryRows(), queries);
    } else {
      queries = ops.contiguous(q);
    }
    long blocks = keyCache.dim(0) / cacheGroup.blockSize();
    long[] paged = {blocks, cacheGroup.blockSize(), cacheGroup.width()};
    NpuTensor attended = plan.queryRows() == null ? out : ops.allocate(ops.activation(), sequences, qWidth);
    nn.run("aclnnIncreFlashAttentionV4",
        queries.reshape(sequences, 1, qWidth),
        new Aclnn.TensorList(List.of(keyCache.reshape(paged))),
        new Aclnn.TensorList(List.of(valueCache.reshape(paged))),
        Aclnn.NULL, plan.mask(), new Aclnn.IntArray(plan.lengths()),
        Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL,
        plan.blockTable(), Aclnn.NULL,
        qWidth / cacheGroup.headDim(), keysPrescaled ? 1.0 : (double) scale, "BSH", (long) cacheGroup.kvHeads(),
        (long) cacheGroup.blockSize(), 1L,
        attended.reshape(sequences, 1, qWidth));
    if (plan.queryRows() != null) {
      nn.run("aclnnInplaceIndexCopy", out, 0L, plan.queryRows(), attended);
    }
  }

  /** Attention of every decoding sequence in one batch of launches. */
  private void decode(KvCacheGroup cacheGroup, DecodePlan plan, NpuTensor keyCache, NpuTensor valueCache, NpuTensor q, NpuTensor out) {
    Aclnn nn = ops.nn();
    long sequences = decoding.length;
    long headDim = cacheGroup.headDim();
    long kvHeads = cacheGroup.kvHeads();
    long qWidth = q.dim(1);
    long heads = qWidth / headDim;
    long group = heads / kvHeads;
    long keys = plan.keys();
    long batched = sequences * kvHeads;

    NpuTensor queries = q;
    if (plan.queryRows() != null) {
      queries = ops.allocate(q.dtype(), sequences, qWidth);
      nn.run("aclnnIndexSelect", q, 0L, plan.queryRows(), queries);
    }
    NpuTensor keysGathered = ops.allocate(keyCache.dtype(), batched * keys, headDim);
    NpuTensor valuesGathered = ops.allocate(valueCache.dtype(), batched * keys, headDim);
    nn.run("aclnnIndexSelect", keyCache.reshape(keyCache.dim(0) * kvHeads, headDim), 0L, plan.keyRows(), keysGathered);
    nn.run("aclnnIndexSelect", valueCache.reshape(valueCache.dim(0) * kvHeads, headDim), 0L, plan.keyRows(), valuesGathered);

    NpuTensor keysT = keysGathered.view(new long[] {batched, headDim, keys}, new long[] {keys * headDim, 1, headDim}, 0);
    NpuTensor scores = ops.allocate(ops.activation(), batched, group, keys);
    nn.run("aclnnBatchMatMul", queries.reshape(batched, group, headDim), keysT, scores, (byte) 0);
    NpuTensor probabilities = maskedSoftmax(scores, plan.mask(), sequences, heads, keys);
    NpuTensor attended = plan.queryRows() == null ? out : ops.allocate(ops.activation(), sequences, qWidth);
    nn.run("aclnnBatchMatMul", probabilities.reshape(batched, group, keys), valuesGathered.reshape(batched, keys, headDim),
        attended.reshape(batched, group, headDim), (byte) 0);
    if (plan.queryRows() != null) {
      nn.run("aclnnInplaceIndexCopy", out, 0L, plan.queryRows(), attended);
    }
  }

  /**
   * {@code softmax(softcap(scores * scale) + mask)} in the activation dtype; {@code scores} are seen as
   * {@code [batch, rows, keys]} and the mask broadcasts over the rows. The soft-cap
   * {@code cap * tanh(s * scale / cap)} takes one {@code Tanh} and the {@code Add} that adds the mask, its
   * alpha multiplying by the cap; {@code scale / cap} is folded into the keys at load (see
   * {@link NpuTensorOps#loadLinearGroup}), or applied by one {@code Muls} where it is not. In bf16 the masked scores are bf16
   * as the reference's are, and {@code Softmax} computes in float32 inside and writes bf16, so no cast runs.
   */
  private NpuTensor maskedSoftmax(NpuTensor scores, NpuTensor mask, long batchSize, long rows, long keys) {
    Aclnn nn = ops.nn();
    NpuTensor masked = ops.allocate(ops.activation(), batchSize, rows, keys);
    // Keys scaled at load already carry scale / cap (or scale): the Muls is needed only when they do not.
    NpuTensor scaled = keysPrescaled ? scores : ops.scale(scores, NpuTensorOps.keyScale(scale, softcap));
    if (softcap > 0) {
      NpuTensor tanh = ops.allocate(scaled.dtype(), scaled.shape());
      nn.run("aclnnTanh", scaled, tanh);
      nn.run("aclnnAdd", mask, tanh.reshape(batchSize, rows, keys), new Aclnn.Scalar(softcap), masked);
    } else {
      nn.run("aclnnAdd", scaled.reshape(batchSize, rows, keys), mask, new Aclnn.Scalar(1f), masked);
    }
    NpuTensor probabilities = ops.allocate(ops.activation(), batchSize, rows, keys);
    nn.run("aclnnSoftmax", masked, -1L, probabilities);
    return probabilities;
  }

  /** Attention of one prompt chunk: its queries against its visible keys, causal within the chunk. */
  private void prefill(KvCacheGroup cacheGroup, PrefillPlan plan, NpuTensor keyCache, NpuTensor valueCache, NpuTensor q, NpuTensor out) {
    Aclnn nn = ops.nn();
    int s = plan.sequence();
    long n = batch.queryLength(s);
    long rowStart = batch.queryStart()[s];
    long length = plan.keySlots().elements();
    long kvWidth = keyCache.dim(1);
    long qWidth = q.dim(1);
    long headDim = cacheGroup.headDim();
    long kvHeads = cacheGroup.kvHeads();
    long group = qWidth / kvWidth;
    NpuTensor keys = ops.allocate(keyCache.dtype(), length, kvWidth);
    NpuTensor values = ops.allocate(valueCache.dtype(), length, kvWidth);
    nn.run("aclnnIndexSelect", keyCache, 0L, plan.keySlots(), keys);
    nn.run("aclnnIndexSelect", valueCache, 0L, plan.keySlots(), values);

    // Queries of this sequence as [kvHeads, group, n, headDim]: query head h = kv * group + g.
    long[] perHead = {kvHeads, group, n, headDim};
    long[] qStrides = {group * headDim, headDim, qWidth, 1};
    NpuTensor queries = ops.allocate(q.dtype(), perHead);
    nn.run("aclnnInplaceCopy", queries, q.view(perHead, qStrides, q.offset() + rowStart * qWidth));
    // Keys and values as [kvHeads, length, headDim], so the keys' transpose is one of the last two dims.
    NpuTensor keysByHead = ops.allocate(keyCache.dtype(), kvHeads, length, headDim);
    nn.run("aclnnInplaceCopy", keysByHead, keys.view(new long[] {kvHeads, length, headDim}, new long[] {headDim, kvWidth, 1}, 0));
    NpuTensor valuesByHead = ops.allocate(valueCache.dtype(), kvHeads, length, headDim);
    nn.run("aclnnInplaceCopy", valuesByHead, values.view(new long[] {kvHeads, length, headDim}, new long[] {headDim, kvWidth, 1}, 0));
    NpuTensor keysT = keysByHead.view(new long[] {kvHeads, headDim, length}, new long[] {length * headDim, 1, headDim}, 0);

    NpuTensor scores = ops.allocate(ops.activation(), kvHeads, group * n, length);
    nn.run("aclnnBatchMatMul", queries.reshape(kvHeads, group * n, headDim), keysT, scores, (byte) 0);
    NpuTensor weights = maskedSoftmax(scores.reshape(kvHeads * group, n, length), plan.mask(), kvHeads * group, n, length);
    NpuTensor attended = ops.allocate(ops.activation(), kvHeads, group * n, headDim);
    nn.run("aclnnBatchMatMul", weights.reshape(kvHeads, group * n, length), valuesByHead, attended, (byte) 0);
    nn.run("aclnnInplaceCopy", out.view(perHead, qStrides, rowStart * qWidth), attended.reshape(perHead));
  }
}
