package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Precision;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code aclnnIncreFlashAttentionV4} as ops-transformer documents it for page attention, in the emulator:
 * grouped heads reading paged caches through block tables with per-sequence lengths and a mask; and the
 * documented constraints it refuses.
 */
class IncreFlashAttentionTest {
  static NpuBackend backend;
  static NpuTensorOps ops;

  static final int HEADS = 4, KV_HEADS = 2, DIM = 16, BLOCK = 16, BLOCKS = 8;

  @BeforeAll
  static void open() {
    backend = (NpuBackend) Emulator.provider(Emulator.home()).open(new BackendOptions(Precision.BFLOAT16, 0, 0));
    ops = (NpuTensorOps) backend.ops();
  }

  @AfterAll
  static void close() {
    backend.close();
  }

  static <R> R onDevice(Supplier<R> work) {
    return ops.execute(work);
  }

  /** Values that bf16 holds exactly, so the reference reads what the device reads. */
  static float[] bf16Values(int n, long seed) {
    float[] values = EmulatorOperatorsTest.random(n, seed);
    for (int i = 0; i < n; i++) {
      values[i] = Precision.BFLOAT16.round(values[i]);
    }
    return values;
  }

  @Test
  void pagedGroupedAttentionMatchesADirectComputation() {
    float[] q = bf16Values(2 * HEADS * DIM, 1);
    float[] cacheK = bf16Values(BLOCKS * BLOCK * KV_HEADS * DIM, 2);
    float[] cacheV = bf16Values(BLOCKS * BLOCK * KV_HEADS * DIM, 3);
    int[][] tables = {{5, 2, 7}, {1, 6, 0}};
    long[] lengths = {20, 35};
    int keys = 3 * BLOCK;
    byte[] mask = new byte[2 * keys];
    for (int p = 0; p < keys; p++) {
      mask[p] = (byte) (p >= lengths[0] ? 1 : 0);
      mask[keys + p] = (byte) (p < 3 || p >= lengths[1] ? 1 : 0); // a window's start inside the first block
    }
    float[] actual = onDevice(() -> {
      NpuTensor k = ops.as(ops.uploadFloats(cacheK, BLOCKS, BLOCK, KV_HEADS * DIM), AclDType.BF16);
      NpuTensor v = ops.as(ops.uploadFloats(cacheV, BLOCKS, BLOCK, KV_HEADS * DIM), AclDType.BF16);
      NpuTensor query = ops.as(ops.uploadFloats(q, 2, 1, HEADS * DIM), AclDType.BF16);
      NpuTensor out = ops.allocate(AclDType.BF16, 2, 1, HEADS * DIM);
      run(query, k, v, ops.uploadBytes(mask, AclDType.BOOL, 2, 1, 1, keys), lengths,
          ops.uploadInts(new int[] {5, 2, 7, 1, 6, 0}, 2, 3), BLOCK, out);
      return ops.toHost(ops.as(out, AclDType.FLOAT));
    });
    for (int b = 0; b < 2; b++) {
      for (int n = 0; n < HEADS; n++) {
        int kv = n / (HEADS / KV_HEADS);
        double[] w = new double[keys];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < keys; p++) {
          if (mask[b * keys + p] != 0 || p >= lengths[b]) {
            w[p] = Double.NEGATIVE_INFINITY;
            continue;
          }
          int row = (tables[b][p / BLOCK] * BLOCK + p % BLOCK) * KV_HEADS * DIM + kv * DIM;
          double dot = 0;
          for (int d = 0; d < DIM; d++) {
            dot += q[(b * HEADS + n) * DIM + d] * cacheK[row + d];
          }
          w[p] = dot * 0.25;
          max = Math.max(max, w[p]);
        }
        double total = 0;
        for (int p = 0; p < keys; p++) {
          total += w[p] = w[p] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(w[p] - max);
        }
        for (int d = 0; d < DIM; d++) {
          double acc = 0;
          for (int p = 0; p < keys; p++) {
            int row = (tables[b][p / BLOCK] * BLOCK + p % BLOCK) * KV_HEADS * DIM + kv * DIM;
            acc += w[p] / total * cacheV[row + d];
          }
          float value = actual[(b * HEADS + n) * DIM + d];
          assertEquals(Precision.BFLOAT16.round((float) acc), value, 1e-6, "sequence " + b + " head " + n + " dim " + d);
        }
      }
    }
  }

  private static void run(NpuTensor query, NpuTensor k, NpuTensor v, NpuTensor mask, long[] lengths, NpuTensor table,
      long blockSize, NpuTensor out) {
    ops.nn().run("aclnnIncreFlashAttentionV4", query, new Aclnn.TensorList(List.of(k)), new Aclnn.TensorList(List.of(v)),
        Aclnn.NULL, mask, new Aclnn.IntArray(lengths), Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, Aclnn.NULL,
        Aclnn.NULL, Aclnn.NULL, table, Aclnn.NULL, (long) HEADS, 0.25, "BSH", (long) KV_HEADS, blockSize, 1L, out);
    ops.synchronize();
  }

  /** What its doc's constraints refuse, each with the emulator's reason. */
  @Test
  void theDocumentedConstraintsAreEnforced() {
    record Case(String name, String expected, Runnable call) {}
    long[] lengths = {20};
    List<Case> cases = List.of(
        new Case("float32 query", "query", () -> {
          NpuTensor f32 = ops.allocate(AclDType.FLOAT, 1, 1, HEADS * DIM);
          NpuTensor cache = ops.allocate(AclDType.FLOAT, BLOCKS, BLOCK, KV_HEADS * DIM);
          run(f32, cache, cache, ops.uploadBytes(new byte[32], AclDType.BOOL, 1, 1, 1, 32), lengths,
              ops.uploadInts(new int[] {0, 1}, 1, 2), BLOCK, ops.allocate(AclDType.FLOAT, 1, 1, HEADS * DIM));
        }),
        new Case("block size 8", "blockSize", () -> {
          NpuTensor cache = ops.allocate(AclDType.BF16, 2 * BLOCKS, 8, KV_HEADS * DIM);
          run(ops.allocate(AclDType.BF16, 1, 1, HEADS * DIM), cache, cache,
              ops.uploadBytes(new byte[24], AclDType.BOOL, 1, 1, 1, 24), lengths, ops.uploadInts(new int[] {0, 1, 2}, 1, 3), 8,
              ops.allocate(AclDType.BF16, 1, 1, HEADS * DIM));
        }),
        new Case("a mask shorter than the blocks read", "attenMask", () -> {
          NpuTensor cache = ops.allocate(AclDType.BF16, BLOCKS, BLOCK, KV_HEADS * DIM);
          run(ops.allocate(AclDType.BF16, 1, 1, HEADS * DIM), cache, cache,
              ops.uploadBytes(new byte[20], AclDType.BOOL, 1, 1, 1, 20), lengths, ops.uploadInts(new int[] {0, 1}, 1, 2), BLOCK,
              ops.allocate(AclDType.BF16, 1, 1, HEADS * DIM));
        }),
        new Case("more blocks than the cache has", "blocknum", () -> {
          NpuTensor cache = ops.allocate(AclDType.BF16, 1, BLOCK, KV_HEADS * DIM);
          run(ops.allocate(AclDType.BF16, 1, 1, HEADS * DIM), cache, cache,
              ops.uploadBytes(new byte[32], AclDType.BOOL, 1, 1, 1, 32), lengths, ops.uploadInts(new int[] {0, 0}, 1, 2), BLOCK,
              ops.allocate(AclDType.BF16, 1, 1, HEADS * DIM));
        }));
    for (Case c : cases) {
      String message = assertThrows(AscendException.class, () -> onDevice(() -> {
        c.call().run();
        return null;
      }), c.name()).getMessage();
      assertTrue(message.contains("aclnnIncreFlashAttentionV4") && message.contains(c.expected()), c.name() + ": " + message);
    }
  }
}
