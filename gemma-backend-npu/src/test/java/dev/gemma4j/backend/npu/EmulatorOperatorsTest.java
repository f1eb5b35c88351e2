package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Precision;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each emulated operator, called through the backend's own bindings, against a straightforward Java
 * reference on small inputs; and the parts of CANN's contract the emulator enforces.
 */
class EmulatorOperatorsTest {
  static NpuBackend backend;
  static NpuTensorOps ops;

  @BeforeAll
  static void open() {
    backend = (NpuBackend) Emulator.provider(Emulator.home()).open(BackendOptions.defaults());
    ops = (NpuTensorOps) backend.ops();
  }

  @AfterAll
  static void close() {
    backend.close();
  }

  static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextGaussian();
    }
    return out;
  }

  /** Runs {@code work} in a step on the device thread. */
  static <R> R onDevice(Supplier<R> work) {
    return ops.execute(() -> {
      try (var step = ops.openStep()) {
        return work.get();
      }
    });
  }

  static void assertClose(float[] expected, float[] actual, double tolerance) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance, "element " + i);
    }
  }

  @Test
  void mmMultipliesByATransposedView() {
    float[] x = random(3 * 4, 1);
    float[] w = random(5 * 4, 2); // [out 5, in 4]
    float[] expected = new float[3 * 5];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 5; j++) {
        double acc = 0;
        for (int k = 0; k < 4; k++) {
          acc += x[i * 4 + k] * w[j * 4 + k];
        }
        expected[i * 5 + j] = (float) acc;
      }
    }
    float[] actual = onDevice(() -> ops.toHost(ops.linear(ops.uploadFloats(x, 3, 4), new NpuLinear(ops.uploadFloats(w, 5, 4)))));
    assertClose(expected, actual, 1e-5);
  }

  @Test
  void rmsNormScalesByOnePlusTheWeightGivenAsIs() {
    float[] x = random(2 * 8, 3);
    float[] g = random(8, 4);
    float[] expected = new float[16];
    for (int r = 0; r < 2; r++) {
      double sum = 0;
      for (int c = 0; c < 8; c++) {
        sum += x[r * 8 + c] * x[r * 8 + c];
      }
      double rstd = 1 / Math.sqrt(sum / 8 + 1e-6);
      for (int c = 0; c < 8; c++) {
        expected[r * 8 + c] = (float) (x[r * 8 + c] * rstd * g[c]);
      }
    }
    float[] actual = onDevice(() -> ops.toHost(ops.rmsNorm(ops.uploadFloats(x, 2, 8), new NpuNormWeight(ops.uploadFloats(g, 8), null), 1e-6)));
    assertClose(expected, actual, 1e-5);
  }

  @Test
  void elementwiseOperators() {
    float[] a = random(12, 5);
    float[] b = random(12, 6);
    float[] sum = new float[12];
    float[] geluMul = new float[12];
    float[] capped = new float[12];
    for (int i = 0; i < 12; i++) {
      sum[i] = a[i] + b[i];
      double x = a[i];
      double gelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
      geluMul[i] = (float) (gelu * b[i]);
      capped[i] = (float) (Math.tanh(a[i] / 0.5) * 0.5);
    }
    assertClose(sum, onDevice(() -> ops.toHost(ops.add(ops.uploadFloats(a, 3, 4), ops.uploadFloats(b, 3, 4)))), 1e-6);
    assertClose(geluMul, onDevice(() -> ops.toHost(ops.geluTanhMul(ops.uploadFloats(a, 3, 4), ops.uploadFloats(b, 3, 4)))), 1e-6);
    assertClose(capped, onDevice(() -> ops.toHost(ops.softcap(ops.uploadFloats(a, 3, 4), 0.5))), 1e-6);
  }

  @Test
  void ropeRotatesHalvesPerHead() {
    int rows = 2, heads = 2, dim = 4;
    float[] x = random(rows * heads * dim, 7);
    float[] cos = random(rows * dim, 8);
    float[] sin = random(rows * dim, 9);
    float[] expected = new float[x.length];
    for (int r = 0; r < rows; r++) {
      for (int h = 0; h < heads; h++) {
        for (int c = 0; c < dim; c++) {
          int i = (r * heads + h) * dim + c;
          float rotated = c < dim / 2 ? -x[i + dim / 2] : x[i - dim / 2];
          expected[i] = x[i] * cos[r * dim + c] + rotated * sin[r * dim + c];
        }
      }
    }
    float[] actual =
        onDevice(() -> ops.toHost(ops.rope(ops.uploadFloats(x, rows, heads * dim), ops.uploadFloats(cos, rows, dim), ops.uploadFloats(sin, rows, dim), heads)));
    assertClose(expected, actual, 1e-6);
  }

  @Test
  void gatherScatterCastAndArgmax() {
    float[] table = random(6 * 3, 10);
    float[] picked = onDevice(() -> ops.toHost(ops.selectRows(ops.uploadFloats(table, 6, 3), new int[] {5, 0, 5})));
    assertClose(new float[] {table[15], table[16], table[17], table[0], table[1], table[2], table[15], table[16], table[17]}, picked, 0);

    float[] embedded = onDevice(() -> ops.toHost(new NpuEmbeddingTable(ops, ops.uploadFloats(table, 6, 3)).lookup(new int[] {2, 4})));
    assertClose(new float[] {table[6], table[7], table[8], table[12], table[13], table[14]}, embedded, 0);

    float[] cache = onDevice(() -> {
      NpuTensor c = ops.uploadFloats(new float[12], 4, 3);
      ops.nn().run("aclnnInplaceIndexCopy", c, 0L, ops.uploadInts(new int[] {3, 1}), ops.uploadFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
      return ops.toHost(c);
    });
    assertArrayEquals(new float[] {0, 0, 0, 4, 5, 6, 0, 0, 0, 1, 2, 3}, cache);

    float[] rounded = onDevice(() -> ops.toHost(ops.as(ops.uploadFloats(new float[] {1.00390625f, 3.14159f}, 2), AclDType.BF16)));
    assertArrayEquals(new float[] {1.0f, 3.140625f}, rounded, "bfloat16 rounds to nearest even");

    int[] best = onDevice(() -> ops.argmaxRows(ops.uploadFloats(new float[] {1, 9, 9, 2, 0, -1, 7, 7}, 2, 4), 4));
    assertArrayEquals(new int[] {1, 2}, best, "the first of equal maxima");
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    int[] broken = onDevice(() -> ops.argmaxRows(ops.uploadFloats(new float[] {1, nan, 9, 2, 0, inf, 7, 7, 3, 1, 2, 0}, 3, 4), 4));
    assertArrayEquals(new int[] {-1, -1, 0}, broken, "rows with NaN or infinity have no greedy id");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void attentionMatchesAStraightforwardReference(boolean fused) {
    // One sequence of 3 queries over 3 keys, 2 query heads sharing 1 KV head of width 2, causal mask.
    float[] q = random(3 * 4, 11);
    float[] k = random(3 * 2, 12);
    float[] v = random(3 * 2, 13);
    boolean[] causal = {true, false, false, true, true, false, true, true, true}; // what the batch's mask says
    float[] expected = new float[12];
    for (int h = 0; h < 2; h++) {
      for (int i = 0; i < 3; i++) {
        double[] s = new double[3];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < 3; j++) {
          double dot = q[i * 4 + h * 2] * k[j * 2] + q[i * 4 + h * 2 + 1] * k[j * 2 + 1];
          s[j] = causal[i * 3 + j] ? Math.tanh(dot * 0.5 / 3) * 3 : Double.NEGATIVE_INFINITY;
          max = Math.max(max, s[j]);
        }
        double z = 0;
        for (int j = 0; j < 3; j++) {
          z += Math.exp(s[j] - max);
        }
        for (int d = 0; d < 2; d++) {
          double acc = 0;
          for (int j = 0; j < 3; j++) {
            acc += Math.exp(s[j] - max) / z * v[j * 2 + d];
          }
          expected[i * 4 + h * 2 + d] = (float) acc;
        }
      }
    }
    float[] actual =
        ops.execute(() -> {
          NpuFusions fusions = fused ? ops.fusions() : NpuFusions.NONE;
          NpuTensorOps fresh = new NpuTensorOps(backendRuntime(), ops.nn(), deviceThread(), dev.gemma4j.spi.Precision.FLOAT32, fusions);
          // Blocks of one position: positions 0, 1, 2 live in slots 6, 2, 4.
          var cache = fresh.allocateKvCache(new dev.gemma4j.spi.KvCacheSpec(
              java.util.List.of(0), java.util.List.of(new dev.gemma4j.spi.KvCacheGroup(0, 1, 8, 1, 2))));
          var tables = dev.gemma4j.spi.BlockTables.of(new int[][] {{6, 2, 4}});
          var batch = new dev.gemma4j.spi.AttentionBatch(1, new int[] {0}, new int[] {0, 3}, new int[] {3}, java.util.List.of(tables));
          try (var step = fresh.openStep()) {
            var attention = fresh.prepareAttention(batch, cache, 0.5, 3.0);
            return fresh.toHost(attention.attend(0, fresh.uploadFloats(q, 3, 4), fresh.uploadFloats(k, 3, 2), fresh.uploadFloats(v, 3, 2)));
          } finally {
            cache.close();
          }
        });
    assertClose(expected, actual, 1e-5);
  }

  static float[] matmulT(float[] x, float[] w, int rows, int in, int out) {
    float[] y = new float[rows * out];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < out; j++) {
        double acc = 0;
        for (int k = 0; k < in; k++) {
          acc += x[i * in + k] * w[j * in + k];
        }
        y[i * out + j] = (float) acc;
      }
    }
    return y;
  }

  static double geluTanh(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  /**
   * aclnnScatterPaKvCache as ops-transformer documents it for Atlas A2/A3: 16- or 8-bit key, value and caches
   * only (float32 math writes its cache with InplaceIndexCopy), contiguous inputs.
   */
  @Test
  void scatterKvCacheTakesOnlySixteenOrEightBitContiguousInputs() {
    String float32 = assertThrows(AscendException.class, () -> onDevice(() -> {
      NpuTensor cache = ops.uploadFloats(new float[2 * 4 * 1 * 2], 2, 4, 1, 2);
      NpuTensor kv = ops.uploadFloats(new float[] {1, 2, 3, 4}, 2, 1, 2);
      ops.nn().run("aclnnScatterPaKvCache", kv, cache, ops.uploadInts(new int[] {5, 2}), kv, cache,
          Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, "Norm", "None", Aclnn.NULL, Aclnn.NULL);
      ops.synchronize();
      return null;
    })).getMessage();
    assertTrue(float32.contains("aclnnScatterPaKvCache"), float32); // the emulator adds: FLOAT16, BFLOAT16 or INT8

    String strided = assertThrows(AscendException.class, () -> onDevice(() -> {
      NpuTensor cache = ops.as(ops.uploadFloats(new float[2 * 4 * 1 * 2], 2, 4, 1, 2), AclDType.BF16);
      NpuTensor wide = ops.as(ops.uploadFloats(new float[] {1, 2, 9, 3, 4, 9}, 2, 3), AclDType.BF16);
      NpuTensor columns = wide.view(new long[] {2, 1, 2}, new long[] {3, 2, 1}, 0); // two of three columns
      ops.nn().run("aclnnScatterPaKvCache", columns, cache, ops.uploadInts(new int[] {5, 2}), columns, cache,
          Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, "Norm", "None", Aclnn.NULL, Aclnn.NULL);
      ops.synchronize();
      return null;
    })).getMessage();
    assertTrue(strided.contains("aclnnScatterPaKvCache"), strided); // the emulator adds: must be contiguous

    float[] written = onDevice(() -> {
      NpuTensor cache = ops.as(ops.uploadFloats(new float[2 * 4 * 1 * 2], 2, 4, 1, 2), AclDType.BF16);
      NpuTensor kv = ops.as(ops.uploadFloats(new float[] {1, 2, 3, 4}, 2, 1, 2), AclDType.BF16);
      ops.nn().run("aclnnScatterPaKvCache", kv, cache, ops.uploadInts(new int[] {5, 2}), kv, cache,
          Aclnn.NULL, Aclnn.NULL, Aclnn.NULL, "Norm", "None", Aclnn.NULL, Aclnn.NULL);
      return ops.toHost(ops.as(cache, AclDType.FLOAT));
    });
    assertArrayEquals(new float[] {0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0}, written, "slot 5 and slot 2");
  }

  /** The dtype tables of the operator docs for Atlas A2/A3 (MANIFEST.md), enforced as CANN enforces them. */
  @Test
  void operatorsRefuseDtypesTheirDocsDoNotList() {
    java.util.Map<String, Runnable> refused = new java.util.LinkedHashMap<>();
    refused.put("aclnnSoftmax", () -> {
      NpuTensor ints = ops.allocate(AclDType.INT32, 2, 4);
      ops.nn().run("aclnnSoftmax", ints, -1L, ops.allocate(AclDType.INT32, 2, 4));
    });
    refused.put("aclnnTanh", () -> ops.nn().run("aclnnTanh", ops.uploadFloats(new float[4], 4), ops.allocate(AclDType.INT32, 4)));
    refused.put("aclnnArgMax", () -> ops.nn().run("aclnnArgMax", ops.uploadFloats(new float[4], 1, 4), -1L, false,
        ops.allocate(AclDType.FLOAT, 1)));
    refused.put("aclnnRotaryPositionEmbedding", () -> {
      NpuTensor ints = ops.allocate(AclDType.INT32, 1, 1, 1, 4);
      ops.nn().run("aclnnRotaryPositionEmbedding", ints, ints, ints, 0L, ops.allocate(AclDType.INT32, 1, 1, 1, 4));
    });
    refused.put("aclnnIndexSelect", () -> ops.nn().run("aclnnIndexSelect", ops.uploadFloats(new float[4], 2, 2), 0L,
        ops.uploadFloats(new float[] {1}, 1), ops.allocate(AclDType.FLOAT, 1, 2)));
    for (var op : refused.entrySet()) {
      String message = assertThrows(AscendException.class, () -> onDevice(() -> {
        op.getValue().run();
        return null;
      }), op.getKey()).getMessage();
      assertTrue(message.contains(op.getKey()), message);
    }
  }

  /**
   * More than 65 rows of a 256,000-word vocabulary: past 2^24 a float32 flat index rounds to an even number,
   * so the draw must index the sorted table in integers.
   */
  @Test
  void samplingOnTheDeviceIndexesLargeBatchesOfALargeVocabularyExactly() {
    int rows = 70, vocab = 256_000;
    float[] logits = new float[rows * vocab];
    var draws = new dev.gemma4j.spi.SamplingRow[rows];
    for (int r = 0; r < rows; r++) {
      int best = (r * 7919 + 1) % vocab | 1; // odd ids: a rounded index would land on the even neighbour
      logits[r * vocab + best] = 10;
      logits[r * vocab + (best + 1) % vocab] = 9;
      draws[r] = new dev.gemma4j.spi.SamplingRow(1f, 1, 1f, 0f, 0.5f, 0); // top-k 1: the largest logit
    }
    int[] drawn = onDevice(() -> ops.sampleRows(ops.uploadFloats(logits, rows, vocab), vocab, draws).ids());
    for (int r = 0; r < rows; r++) {
      assertEquals((r * 7919 + 1) % vocab | 1, drawn[r], "row " + r);
    }
  }

  @Test
  void fusedOperatorsMatchTheirReferences() {
    NpuFusions fusions = ops.fusions();
    assertTrue(fusions.geGlu() && fusions.addRmsNorm() && fusions.scatterKvCache() && fusions.stackedMatmuls(),
        "the emulator provides every fused operator: " + fusions.describe());
    int rows = 3, in = 8, inter = 6;
    float[] x = random(rows * in, 21);
    float[] gateUp = random(2 * inter * in, 22); // gate rows, then up rows
    float[] product = matmulT(x, gateUp, rows, in, 2 * inter);
    float[] expectedGlu = new float[rows * inter];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < inter; c++) {
        expectedGlu[r * inter + c] = (float) ((float) geluTanh(product[r * 2 * inter + c]) * product[r * 2 * inter + inter + c]);
      }
    }
    float[] glu = onDevice(() -> ops.toHost(ops.gatedActivation(ops.uploadFloats(x, rows, in),
        new NpuLinear(ops.uploadFloats(gateUp, 2 * inter, in), new long[] {inter, inter}), dev.gemma4j.config.Activation.GELU_TANH)));
    assertClose(expectedGlu, glu, 1e-5);

    float[] up = onDevice(() -> ops.toHost(ops.linearGroup(ops.uploadFloats(x, rows, in),
        new NpuLinear(ops.uploadFloats(gateUp, 2 * inter, in), new long[] {inter, inter})).get(1)));
    float[] expectedUp = new float[rows * inter];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(product, r * 2 * inter + inter, expectedUp, r * inter, inter);
    }
    assertClose(expectedUp, up, 1e-5);

    float[] h = random(rows * in, 23);
    float[] y = random(rows * in, 24);
    float[] g = random(in, 25);
    float[] expectedSum = new float[rows * in];
    float[] expectedNorm = new float[rows * in];
    for (int r = 0; r < rows; r++) {
      double squares = 0;
      for (int c = 0; c < in; c++) {
        expectedSum[r * in + c] = h[r * in + c] + y[r * in + c];
        squares += (double) expectedSum[r * in + c] * expectedSum[r * in + c];
      }
      double rstd = 1 / Math.sqrt(squares / in + 1e-6);
      for (int c = 0; c < in; c++) {
        expectedNorm[r * in + c] = (float) (expectedSum[r * in + c] * rstd * g[c]);
      }
    }
    float[][] residual = onDevice(() -> {
      var result = ops.addRmsNorm(ops.uploadFloats(h, rows, in), ops.uploadFloats(y, rows, in), new NpuNormWeight(ops.uploadFloats(g, in), null), 1e-6);
      return new float[][] {ops.toHost(result.sum()), ops.toHost(result.normed())};
    });
    assertClose(expectedSum, residual[0], 1e-6);
    assertClose(expectedNorm, residual[1], 1e-5);
  }

  /** Hugging Face's filters in double over one row, then the first kept token whose running mass reaches u. */
  static int referenceDraw(float[] logits, dev.gemma4j.spi.SamplingRow d) {
    int n = logits.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a])); // stable: ties keep id order
    double max = logits[order[0]] / d.temperature();
    double[] p = new double[n];
    double z = 0;
    for (int j = 0; j < n; j++) {
      p[j] = Math.exp(logits[order[j]] / d.temperature() - max);
      z += p[j];
    }
    int k = d.topK() == 0 ? n : Math.min(d.topK(), n);
    double topKMass = 0;
    for (int j = 0; j < k; j++) {
      topKMass += p[j] / z;
    }
    double ahead = 0;
    double kept = 0;
    int keptCount = 0;
    for (int j = 0; j < k; j++) {
      double pj = p[j] / z;
      if (ahead >= d.topP() * topKMass || pj < d.minP() * p[0] / z) {
        break;
      }
      ahead += pj;
      kept += pj;
      keptCount++;
    }
    double running = 0;
    for (int j = 0; j < keptCount; j++) {
      running += p[j] / z;
      if (running >= d.uniform() * kept) {
        return order[j];
      }
    }
    return order[keptCount - 1];
  }

  @Test
  void samplingOnTheDeviceDrawsWhatTheFiltersKeep() {
    assertTrue(ops.samplesOnDevice());
    int rows = 6, vocab = 40;
    float[] logits = random(rows * vocab, 31);
    for (int i = 0; i < logits.length; i++) {
      logits[i] *= 3;
    }
    logits[5 * vocab + 7] = logits[5 * vocab + 3] = 50; // a tie: the lower id is the greedy choice
    java.util.Random random = new java.util.Random(32);
    for (int round = 0; round < 20; round++) {
      var draws = new dev.gemma4j.spi.SamplingRow[] {
        new dev.gemma4j.spi.SamplingRow(1f, 0, 1f, 0f, random.nextFloat(), 0),
        new dev.gemma4j.spi.SamplingRow(0.7f, 5, 1f, 0f, random.nextFloat(), 0),
        new dev.gemma4j.spi.SamplingRow(1.3f, 0, 0.8f, 0f, random.nextFloat(), 0),
        new dev.gemma4j.spi.SamplingRow(1f, 0, 1f, 0.2f, random.nextFloat(), 0),
        new dev.gemma4j.spi.SamplingRow(0.9f, 10, 0.9f, 0.05f, random.nextFloat(), 0),
        dev.gemma4j.spi.SamplingRow.GREEDY};
      int[] drawn = onDevice(() -> ops.sampleRows(ops.uploadFloats(logits, rows, vocab), vocab, draws).ids());
      for (int r = 0; r < rows; r++) {
        float[] row = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
        assertEquals(referenceDraw(row, draws[r]), drawn[r], "round " + round + ", row " + r + ": " + draws[r]);
      }
      assertEquals(3, drawn[5], "greedy takes the first of equal maxima");
    }
    float[] broken = logits.clone();
    broken[2 * vocab + 1] = Float.NaN;
    var any = new dev.gemma4j.spi.SamplingRow(1f, 0, 1f, 0f, 0.5f, 0);
    int[] drawn = onDevice(() -> ops.sampleRows(ops.uploadFloats(broken, rows, vocab), vocab,
        new dev.gemma4j.spi.SamplingRow[] {any, any, any, any, any, any}).ids());
    assertEquals(-1, drawn[2], "a row that is not finite has no token");
  }

  @Test
  void deviceDrawsFollowTheFilteredDistribution() {
    int vocab = 12, draws = 400;
    float[] row = random(vocab, 33);
    var shape = new dev.gemma4j.spi.SamplingRow(0.8f, 8, 0.9f, 0.02f, 0f, 0);
    float[] logits = new float[draws * vocab];
    var rows = new dev.gemma4j.spi.SamplingRow[draws];
    for (int i = 0; i < draws; i++) {
      System.arraycopy(row, 0, logits, i * vocab, vocab);
      rows[i] = new dev.gemma4j.spi.SamplingRow(0.8f, 8, 0.9f, 0.02f, (i + 0.5f) / draws, 0);
    }
    int[] drawn = onDevice(() -> ops.sampleRows(ops.uploadFloats(logits, draws, vocab), vocab, rows).ids());
    int[] counts = new int[vocab];
    for (int id : drawn) {
      counts[id]++;
    }
    // The reference's quantiles at the same points give the same counts: the draws are the filtered
    // distribution's inverse cumulative sum.
    int[] expected = new int[vocab];
    for (int i = 0; i < draws; i++) {
      expected[referenceDraw(row, rows[i])]++;
    }
    assertArrayEquals(expected, counts);
    assertTrue(java.util.Arrays.stream(counts).filter(c -> c > 0).count() > 1, "more than one token is drawn");
    assertTrue(shape.topK() == 8);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 32})
  void weightQuantMatmulDequantizesFourBitWeightsPerGroupOrChannel(int group) {
    int m = 3, k = 64, n = 16;
    int groups = group == 0 ? 1 : k / group;
    java.util.Random random = new java.util.Random(41 + group);
    int[] q = new int[k * n]; // unsigned AWQ values 0..15
    for (int i = 0; i < q.length; i++) {
      q[i] = random.nextInt(16);
    }
    float[] scale = new float[groups * n];
    float[] zero = new float[groups * n];
    for (int i = 0; i < scale.length; i++) {
      scale[i] = Precision.BFLOAT16.round(0.01f + random.nextFloat() / 10);
      zero[i] = random.nextInt(16);
    }
    float[] x = random(m * k, 42);
    for (int i = 0; i < x.length; i++) {
      x[i] = Precision.BFLOAT16.round(x[i]);
    }
    float[] expected = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int c = 0; c < k; c++) {
          int g = group == 0 ? 0 : c / group;
          acc += x[i * k + c] * Precision.BFLOAT16.round((q[c * n + j] - zero[g * n + j]) * scale[g * n + j]);
        }
        expected[i * n + j] = Precision.BFLOAT16.round((float) acc);
      }
    }
    // AWQ's packing: nibble p of each int32 holds column 8j + ORDER[p]; the repack puts it in column order.
    int[] awq = new int[k * n / 8];
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < n; j++) {
        int column = j % 8;
        int nibble = java.util.Arrays.stream(new int[] {0, 1, 2, 3, 4, 5, 6, 7})
            .filter(p -> dev.gemma4j.spi.LinearSource.Awq.ORDER[p] == column).findFirst().orElseThrow();
        awq[c * (n / 8) + j / 8] |= q[c * n + j] << (4 * nibble);
      }
    }
    float[] actual = ops.execute(() -> {
      NpuTensorOps bf16 = new NpuTensorOps(backendRuntime(), ops.nn(), deviceThread(), Precision.BFLOAT16, NpuFusions.NONE);
      try (var step = bf16.openStep()) {
        int[] repacked = java.util.Arrays.stream(awq).map(AwqRepack::signedInColumnOrder).toArray();
        NpuTensor words = bf16.allocate(AclDType.INT32, k, n / 8);
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
          backend.runtime().memcpy(java.lang.foreign.MemorySegment.ofAddress(words.address()), 4L * repacked.length,
              arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, repacked), 4L * repacked.length, AclRuntime.HOST_TO_DEVICE);
        }
        NpuTensor weight = new NpuTensor(words.address(), (long) k * n, AclDType.INT4, new long[] {k, n}, new long[] {n, 1}, 0);
        float[] offsets = new float[zero.length];
        for (int i = 0; i < offsets.length; i++) {
          offsets[i] = 8 - zero[i];
        }
        NpuTensor s = bf16.fromHost(scale, groups, n);
        NpuTensor o = bf16.fromHost(offsets, groups, n);
        var layer = new NpuQuantLinear(weight, group == 0 ? s.reshape(n) : s, group == 0 ? o.reshape(n) : o, group);
        return bf16.toHost(bf16.linear(bf16.fromHost(x, m, k), layer));
      }
    });
    assertClose(expected, actual, 0.02);
  }

  static AclRuntime backendRuntime() {
    return backend.runtime();
  }

  static DeviceThread deviceThread() {
    return backend.thread();
  }

  @Test
  void operatorsRunOnlyWhenTheStreamIsSynchronized() {
    float[] unsynchronized =
        ops.execute(() -> {
          try (var step = ops.openStep()) {
            NpuTensor x = ops.uploadFloats(new float[] {1, 2, 3, 4}, 4);
            NpuTensor y = ops.scale(x, 2f); // queued, not run
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
              var host = arena.allocate(16);
              backend.runtime().memcpy(host, 16, java.lang.foreign.MemorySegment.ofAddress(y.address()), 16, AclRuntime.DEVICE_TO_HOST);
              return host.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
            }
          }
        });
    assertTrue(unsynchronized[0] != 2f, "without a synchronize the result is not there yet");
  }

  @Test
  void deviceCallsNeedTheDeviceThread() {
    AscendException e = assertThrows(AscendException.class, () -> backend.runtime().malloc(64));
    assertTrue(e.getMessage().contains("aclrtMalloc") && e.getMessage().contains("aclrtSetDevice"), e.getMessage());
  }
}
