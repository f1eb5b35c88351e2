package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.model.Gemma2Model;
import dev.gemma4j.model.SequenceChunk;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Backend;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForwardGoldenTest {

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gemma2", "tiny-gemma2-bf16", "tiny-gemma2-tok"})
  void greedyMatchesReference(String fixture) {
    Golden golden = Golden.load(fixture);
    try (Checkpoint ckpt = Checkpoint.open(golden.folder());
        Backend backend = new CpuBackendProvider().open(BackendOptions.defaults())) {
      @SuppressWarnings("unchecked")
      Gemma2Model<NDArray> model = Gemma2Model.load(ckpt, (dev.gemma4j.spi.TensorOps<NDArray>) backend.ops());
      model.allocateKvCache(512);
      int vocab = ckpt.config().vocabSize();
      for (Golden.Case c : golden.cases()) {
        int[] slots = new int[512];
        for (int i = 0; i < slots.length; i++) slots[i] = i;
        float[] all = model.forward(List.of(SequenceChunk.sharedSlots(c.inputIds(), 0, slots, true))).getFirst();
        int n = c.inputIds().length;
        int[] argmax = new int[n];
        for (int r = 0; r < n; r++) argmax[r] = argmax(all, r * vocab, vocab);
        assertArrayEquals(c.prefillArgmax(), argmax, fixture + " prefill argmax");
        float[] last = Arrays.copyOfRange(all, (n - 1) * vocab, n * vocab);
        double maxDiff = 0;
        for (int i = 0; i < c.prefillLastLogits().length; i++) maxDiff = Math.max(maxDiff, Math.abs(last[i] - c.prefillLastLogits()[i]));
        System.out.println(fixture + " prefill max diff " + maxDiff);
        int next = argmax(last, 0, vocab);
        int[] generated = new int[c.greedyNewIds().length];
        int pos = n;
        for (int s = 0; s < generated.length; s++) {
          generated[s] = next;
          float[] logits = model.forward(List.of(SequenceChunk.sharedSlots(new int[] {next}, pos, slots, false))).getFirst();
          pos++;
          next = argmax(logits, 0, vocab);
        }
        assertArrayEquals(c.greedyNewIds(), generated, fixture + " greedy ids");
      }
    }
  }

  static int argmax(float[] a, int from, int len) {
    int best = 0;
    for (int i = 1; i < len; i++) if (a[from + i] > a[from + best]) best = i;
    return best;
  }
}
