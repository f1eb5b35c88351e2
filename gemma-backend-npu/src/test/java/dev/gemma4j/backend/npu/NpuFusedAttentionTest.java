package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.internal.model.ForwardBatch;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.Precision;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gemma 3 has no attention soft-cap, so its decoding steps in bf16 take {@code aclnnIncreFlashAttentionV4}:
 * through the emulator the logits agree with the unfused path's within bf16's rounding, at every step of a
 * generation that crosses the sliding window, for several sequences at once.
 */
class NpuFusedAttentionTest {
  @TempDir Path dir;

  /** Logits of a prompt's last token and of 8 decode steps after it (fixed tokens), for three prompts batched together. */
  private static float[] decodeLogits(Map<String, String> env, String fixture) {
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path(fixture));
        Backend npu = new NpuBackendProvider(env).open(new BackendOptions(Precision.BFLOAT16, 0, 0))) {
      DecoderModel<?> model = DecoderModel.load(checkpoint, npu.ops());
      int vocab = checkpoint.config().vocabSize();
      int block = 128;
      KvCache cache = model.allocateKvCache(model.kvCacheSpec(block, 3));
      int[][] prompts = {{2, 9, 300, 41, 7}, {2, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}, {2, 106, 3}};
      int[][] tables = {{0}, {1}, {2}};
      int[] next = new int[3];

      int[] length = new int[3];
      float[] all = new float[0];
      ForwardBatch.Builder prefill = ForwardBatch.builder(cache.spec());
      for (int s = 0; s < 3; s++) {
        prefill.add(prompts[s], 0, tables[s], ForwardBatch.Logits.LAST_HOST);
        length[s] = prompts[s].length;
      }
      float[] logits = model.forward(prefill.build(), cache).hostLogits();
      for (int step = 0; step < 8; step++) {
        all = concat(all, logits);
        ForwardBatch.Builder decode = ForwardBatch.builder(cache.spec());
        for (int s = 0; s < 3; s++) {
          next[s] = (step * 37 + s * 11 + 5) % vocab; // the same tokens on both paths, whatever their logits

          decode.add(new int[] {next[s]}, length[s]++, tables[s], ForwardBatch.Logits.LAST_HOST);
        }
        logits = model.forward(decode.build(), cache).hostLogits();
      }
      cache.close();
      return concat(all, logits);
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void gemma3DecodesWithIncreFlashAttentionAsTheUnfusedPathDoes() throws Exception {
    Map<String, String> fused = Emulator.environment(Emulator.home());
    Map<String, String> unfused = new HashMap<>(fused);
    unfused.put(NpuFusions.OVERRIDE, "off");
    // A window of 5 positions in the fixture: the decode steps cross it, so the mask and the shifted tables count.
    float[] withKernel = decodeLogits(fused, "shape-gemma3-mm-bf16");
    float[] without = decodeLogits(unfused, "shape-gemma3-mm-bf16");
    assertEquals(without.length, withKernel.length);
    double worst = 0;
    for (int i = 0; i < without.length; i++) {
      worst = Math.max(worst, Math.abs(without[i] - withKernel[i]));
    }
    // Measured 0.07 (logits up to the soft-cap of 30, where bf16's step is 0.125): bf16 rounding of the scores
    // on one path and float32 inside the kernel on the other.
    assertTrue(worst < 0.15, "IncreFlashAttention and the unfused bf16 path differ by " + worst);

    // The kernel really runs: an emulator whose IncreFlashAttention fails fails the decode, naming it.
    Path failing = Emulator.copy(dir.resolve("failing-ifa"), "fail_op = aclnnIncreFlashAttentionV4\n");
    RuntimeException e = assertThrows(RuntimeException.class, () -> decodeLogits(Emulator.environment(failing), "shape-gemma3-mm-bf16"));
    assertTrue(String.valueOf(e.getMessage()).contains("aclnnIncreFlashAttentionV4"), String.valueOf(e.getMessage()));
  }

  @Test
  void gemma2KeepsItsSoftCappedAttentionUnfused() throws Exception {
    Path failing = Emulator.copy(dir.resolve("failing-ifa"), "fail_op = aclnnIncreFlashAttentionV4\n");
    float[] logits = decodeLogits(Emulator.environment(failing), "tiny-gemma2-bf16");
    assertTrue(logits.length > 0, "Gemma 2's soft-cap keeps it off IncreFlashAttention");
  }
}
