package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.ModelSteps;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.KvCache;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The forward pass against the reference's numbers, in float32 math: prefill logits and argmax at every
 * position, a no-cache pass over prompt and generation, and a KV-cache decode that must agree with it.
 */
class ModelGoldenTest {
  static final double TOLERANCE = 1e-4;
  static final List<String> FIXTURES = Golden.FIXTURES;

  @ParameterizedTest
  @FieldSource("FIXTURES")
  void prefillAndFullSequenceMatchTheReference(String fixture) {
    Golden golden = Golden.load(fixture);
    try (Checkpoint checkpoint = Checkpoint.open(golden.folder());
        Backend backend = new CpuBackendProvider().open(BackendOptions.defaults())) {
      DecoderModel<?> model = DecoderModel.load(checkpoint, backend.ops());
      int vocab = checkpoint.config().vocabSize();
      for (Golden.Case c : golden.cases()) {
        int[] full = concat(c.inputIds(), c.greedyNewIds());
        KvCache cache = ModelSteps.cache(model, full.length);
        float[] prefill = ModelSteps.allLogits(model, cache, c.inputIds());
        assertArrayEquals(c.prefillArgmax(), argmaxRows(prefill, vocab), fixture + ": prefill argmax");
        assertClose(c.prefillLastLogits(), lastRow(prefill, vocab), fixture + ": prefill logits");

        float[] noCache = ModelSteps.allLogits(model, cache, full);
        cache.close();
        assertArrayEquals(c.fullSequenceArgmax(), argmaxRows(noCache, vocab), fixture + ": full-sequence argmax");
        assertClose(c.fullSequenceLastLogits(), lastRow(noCache, vocab), fixture + ": full-sequence logits");
      }
    }
  }

  @ParameterizedTest
  @FieldSource("FIXTURES")
  void kvCacheDecodeAgreesWithTheNoCachePassAndTheGreedySteps(String fixture) {
    Golden golden = Golden.load(fixture);
    try (Checkpoint checkpoint = Checkpoint.open(golden.folder());
        Backend backend = new CpuBackendProvider().open(BackendOptions.defaults())) {
      DecoderModel<?> model = DecoderModel.load(checkpoint, backend.ops());
      for (Golden.Case c : golden.cases()) {
        int[] full = concat(c.inputIds(), c.greedyNewIds());
        // Blocks of one position in reverse order: the cache must follow the block table, not positions.
        int[] table = new int[full.length];
        for (int i = 0; i < table.length; i++) {
          table[i] = full.length - 1 - i;
        }
        KvCache cache = ModelSteps.cache(model, full.length);
        float[] logits = ModelSteps.lastLogits(model, cache, c.inputIds(), 0, table);
        for (int step = 0; step < c.greedyNewIds().length; step++) {
          Golden.Step expected = c.steps().get(step);
          assertEquals(expected.ids()[0], argmax(logits), fixture + ": greedy id of step " + step);
          for (int k = 0; k < expected.ids().length; k++) {
            assertEquals(expected.logits()[k], logits[expected.ids()[k]], TOLERANCE, fixture + ": step " + step + " top-" + k);
          }
          int position = c.inputIds().length + step;
          logits = ModelSteps.lastLogits(model, cache, new int[] {full[position]}, position, table);
        }
        cache.close();
        assertClose(c.fullSequenceLastLogits(), logits, fixture + ": cached decode vs no-cache pass");
        assertEquals(c.fullSequenceArgmax()[full.length - 1], argmax(logits));
      }
    }
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    if (expected.length == 0) {
      return; // the tokenizer fixture stores no full-vocabulary rows (256000 wide)
    }
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs(expected[i] - actual[i]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    double w = worst;
    int where = at;
    assertTrue(worst <= TOLERANCE, () -> what + ": max |difference| " + w + " at id " + where);
  }

  static float[] lastRow(float[] rows, int vocab) {
    return Arrays.copyOfRange(rows, rows.length - vocab, rows.length);
  }

  static int[] argmaxRows(float[] rows, int vocab) {
    int[] out = new int[rows.length / vocab];
    for (int r = 0; r < out.length; r++) {
      out[r] = argmax(Arrays.copyOfRange(rows, r * vocab, (r + 1) * vocab));
    }
    return out;
  }

  static int argmax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
