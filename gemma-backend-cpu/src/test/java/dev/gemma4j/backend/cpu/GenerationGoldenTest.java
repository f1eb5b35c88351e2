package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.TopLogits;
import dev.gemma4j.engine.EngineOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Generation through the public API reproduces the reference's greedy ids, step logits and texts. */
class GenerationGoldenTest {
  static final List<String> FIXTURES = Golden.FIXTURES;

  static GemmaOptions cpu() {
    return GemmaOptions.builder().backend("cpu").engine(EngineOptions.defaults().withKvCacheTokens(4096)).build();
  }

  static GenerationConfig greedy(Golden.Case c) {
    return GenerationConfig.builder().maxNewTokens(c.greedyNewIds().length).ignoreEos(true).topLogits(5).build();
  }

  @ParameterizedTest
  @FieldSource("FIXTURES")
  void greedyIdsAndStepLogitsMatchTheReference(String fixture) {
    Golden golden = Golden.load(fixture);
    try (Gemma gemma = Gemma.open(golden.folder(), cpu())) {
      for (Golden.Case c : golden.cases()) {
        Generation g = gemma.generate(Prompt.ids(c.inputIds()), greedy(c));
        assertArrayEquals(c.greedyNewIds(), g.tokenIds().stream().mapToInt(Integer::intValue).toArray(), fixture);
        for (int step = 0; step < c.steps().size(); step++) {
          TopLogits ours = g.topLogits().get(step);
          Golden.Step expected = c.steps().get(step);
          assertEquals(expected.ids()[0], ours.ids().getFirst(), fixture + " step " + step);
          for (int k = 0; k < expected.ids().length; k++) {
            int index = ours.ids().indexOf(expected.ids()[k]);
            float value = index >= 0 ? ours.logits().get(index) : Float.NaN;
            assertEquals(expected.logits()[k], value, ModelGoldenTest.TOLERANCE, fixture + " step " + step + " id " + expected.ids()[k]);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("FIXTURES")
  void concurrentRequestsGiveTheIdsEachGivesAlone(String fixture) {
    Golden golden = Golden.load(fixture);
    try (Gemma gemma = Gemma.open(golden.folder(), cpu())) {
      List<CompletableFuture<Generation>> running = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (Golden.Case c : golden.cases()) {
          running.add(gemma.submit(Prompt.ids(c.inputIds()), greedy(c), e -> {}).result());
        }
      }
      for (int i = 0; i < running.size(); i++) {
        Golden.Case c = golden.cases().get(i % golden.cases().size());
        assertArrayEquals(
            c.greedyNewIds(), running.get(i).join().tokenIds().stream().mapToInt(Integer::intValue).toArray(), fixture + " request " + i);
      }
    }
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"tiny-gemma2-tok", "tiny-gemma3-tok"})
  void textPromptsGenerateTheReferenceText(String fixture) {
    Golden golden = Golden.load(fixture);
    try (Gemma gemma = Gemma.open(golden.folder(), cpu())) {
      for (Golden.Case c : golden.cases()) {
        assertArrayEquals(c.inputIds(), gemma.encode(Prompt.text(c.prompt())), c.prompt());
        Generation g = gemma.generate(Prompt.text(c.prompt()), greedy(c));
        assertEquals(c.generatedText(), g.text(), c.prompt());
        assertEquals(c.inputIds().length, g.stats().promptTokens());
        assertEquals(c.greedyNewIds().length, g.stats().generatedTokens());
      }
    }
  }

  /**
   * Quantized at load, the model answers close to the float one (random weights leave small margins
   * between the top logits, so the ids may differ; README reports the agreement): the top logit within
   * 0.5 and the weights' memory at about a quarter for float32.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"tiny-gemma2", "tiny-gemma3"})
  void int4AtLoadStaysCloseToTheFloatModel(String fixture) {
    Golden golden = Golden.load(fixture);
    GemmaOptions int4 = cpu().toBuilder().quantize(dev.gemma4j.WeightQuantization.INT4).build();
    try (Gemma exact = Gemma.open(golden.folder(), cpu()); Gemma quantized = Gemma.open(golden.folder(), int4)) {
      for (Golden.Case c : golden.cases()) {
        GenerationConfig one = GenerationConfig.builder().maxNewTokens(1).ignoreEos(true).topLogits(1).build();
        float reference = exact.generate(Prompt.ids(c.inputIds()), one).topLogits().getFirst().logits().getFirst();
        float close = quantized.generate(Prompt.ids(c.inputIds()), one).topLogits().getFirst().logits().getFirst();
        assertEquals(reference, close, 0.5, "top logit");
      }
      Generation g = quantized.generate(Prompt.ids(golden.cases().getFirst().inputIds()), greedy(golden.cases().getFirst()));
      assertEquals(golden.cases().getFirst().greedyNewIds().length, g.tokenIds().size());
    }
    var awq = org.junit.jupiter.api.Assertions.assertThrows(dev.gemma4j.GemmaException.class,
        () -> Gemma.open(Golden.fixture("tiny-gemma2-awq"), int4));
    org.junit.jupiter.api.Assertions.assertTrue(awq.getMessage().contains("already quantized"), awq.getMessage());
  }
}
