package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenLogprobs;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Log probabilities against the reference: on the golden greedy runs, each step's most likely tokens are the
 * golden top logits, log probabilities differ exactly as those logits do, and the chosen token is the best.
 */
class LogprobsTest {
  static Gemma gemma;
  static Golden golden;

  @BeforeAll
  static void open() {
    golden = Golden.load("tiny-gemma2-tok");
    gemma = Gemma.open(golden.folder(), GenerationGoldenTest.cpu());
  }

  @AfterAll
  static void close() {
    gemma.close();
  }

  @Test
  void logprobsFollowTheGoldenLogits() {
    for (Golden.Case c : golden.cases()) {
      GenerationConfig config = GenerationGoldenTest.greedy(c).toBuilder().logprobs(5).build();
      List<TokenLogprobs> streamed = new CopyOnWriteArrayList<>();
      Generation g = gemma.stream(Prompt.ids(c.inputIds()), config, e -> streamed.add(e.logprobs())).result().join();
      assertEquals(c.greedyNewIds().length, g.logprobs().size());
      assertEquals(g.logprobs(), streamed, "each event carries its token's log probabilities");
      for (int step = 0; step < g.logprobs().size(); step++) {
        TokenLogprobs lp = g.logprobs().get(step);
        var top = g.topLogits().get(step);
        assertEquals(c.greedyNewIds()[step], lp.id());
        assertEquals(top.ids(), lp.topIds(), "step " + step);
        assertEquals(lp.topLogprobs().getFirst(), lp.logprob(), 1e-6, "greedy takes the most likely token");
        double mass = 0;
        for (int k = 0; k < lp.topIds().size(); k++) {
          assertEquals(top.logits().get(k) - top.logits().getFirst(), lp.topLogprobs().get(k) - lp.topLogprobs().getFirst(),
              1e-4, "step " + step + " rank " + k);
          assertTrue(lp.topLogprobs().get(k) <= 0);
          mass += Math.exp(lp.topLogprobs().get(k));
        }
        assertTrue(mass <= 1 + 1e-5, "probabilities sum past 1: " + mass);
      }
    }
  }

  @Test
  void noLogprobsUnlessAsked() {
    Golden.Case c = golden.cases().getFirst();
    assertTrue(gemma.generate(Prompt.ids(c.inputIds()), GenerationGoldenTest.greedy(c)).logprobs().isEmpty());
  }
}
