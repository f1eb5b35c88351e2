package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gemma4j.testing.GgufFixtures;
import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.TopLogits;
import dev.gemma4j.checkpoint.GgufType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GGUF files run: a float32 GGUF of a fixture reproduces the Hugging Face goldens, and a quantized GGUF
 * (Q8_0, Q4_0; Q4_K with Q6_K as Q4_K_M mixes them) decodes as a float32 GGUF of its dequantized values.
 */
class GgufModelTest {
  @TempDir Path dir;

  /** tiny-gemma3 has llama.cpp's Gemma 3 layout (every sixth layer global, local base 10,000), which GGUF implies. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"tiny-gemma2", "tiny-gemma3"})
  void aFloat32GgufReproducesTheReference(String fixture) throws Exception {
    Golden golden = Golden.load(fixture);
    Path gguf = dir.resolve(fixture + "-f32.gguf");
    GgufFixtures.fromFixture(golden.folder(), GgufType.F32, false, gguf);
    try (Gemma gemma = Gemma.open(gguf.toString(), GenerationGoldenTest.cpu())) {
      for (Golden.Case c : golden.cases()) {
        Generation g = gemma.generate(Prompt.ids(c.inputIds()), GenerationGoldenTest.greedy(c));
        assertArrayEquals(c.greedyNewIds(), g.tokenIds().stream().mapToInt(Integer::intValue).toArray(), c.prompt());
        for (int step = 0; step < c.steps().size(); step++) {
          Golden.Step expected = c.steps().get(step);
          TopLogits ours = g.topLogits().get(step);
          for (int k = 0; k < expected.ids().length; k++) {
            int index = ours.ids().indexOf(expected.ids()[k]);
            float value = index >= 0 ? ours.logits().get(index) : Float.NaN;
            assertEquals(expected.logits()[k], value, ModelGoldenTest.TOLERANCE, "step " + step + " id " + expected.ids()[k]);
          }
        }
      }
    }
  }

  /**
   * A GGUF file alone, without tokenizer.json: its SentencePiece vocabulary becomes the tokenizer, which
   * encodes the reference's prompts and chats to the reference's ids and decodes to its text.
   */
  @Test
  void theVocabularyOfAGgufFileIsTheTokenizer() throws Exception {
    Golden golden = Golden.load("tiny-gemma2-tok");
    Path gguf = dir.resolve("alone").resolve("model.gguf");
    Files.createDirectories(gguf.getParent());
    GgufFixtures.fromFixture(golden.folder(), GgufType.F32, false, gguf);
    try (Gemma gemma = Gemma.open(gguf.toString(), GenerationGoldenTest.cpu())) {
      for (Golden.Case c : golden.cases()) {
        assertArrayEquals(c.inputIds(), gemma.encode(Prompt.text(c.prompt())), c.prompt());
        Generation g = gemma.generate(Prompt.text(c.prompt()), GenerationGoldenTest.greedy(c));
        assertEquals(c.generatedText(), g.text(), c.prompt());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = GgufType.class, names = {"Q8_0", "Q4_0"})
  void aQuantizedGgufDecodesAsItsDequantizedValues(GgufType type) throws Exception {
    Golden golden = Golden.load("tiny-gemma2");
    Path quantized = dir.resolve("q.gguf");
    Path twin = dir.resolve("twin.gguf");
    GgufFixtures.fromFixture(golden.folder(), type, false, quantized);
    GgufFixtures.fromFixture(golden.folder(), type, true, twin);
    assertSameDecoding(quantized, twin, golden.cases().getFirst().inputIds());
  }

  @Test
  void aKQuantGgufDecodesAsItsDequantizedValues() throws Exception {
    Path quantized = dir.resolve("k.gguf");
    Path twin = dir.resolve("k-twin.gguf");
    GgufFixtures.randomKQuantModel(quantized, false, 7);
    GgufFixtures.randomKQuantModel(twin, true, 7);
    assertSameDecoding(quantized, twin, new int[] {2, 17, 300, 45, 9});
  }

  private static void assertSameDecoding(Path quantized, Path twin, int[] prompt) {
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(12).ignoreEos(true).topLogits(5).build();
    Generation a;
    Generation b;
    try (Gemma q = Gemma.open(quantized.toString(), GenerationGoldenTest.cpu())) {
      a = q.generate(Prompt.ids(prompt), config);
    }
    try (Gemma f = Gemma.open(twin.toString(), GenerationGoldenTest.cpu())) {
      b = f.generate(Prompt.ids(prompt), config);
    }
    // The weights are equal to the bit (GgufFileTest); the logits only as close as one file's runs are to each
    // other, since the CPU's float32 sums split across threads vary at 1e-6 from run to run.
    assertEquals(b.tokenIds(), a.tokenIds());
    for (int step = 0; step < a.topLogits().size(); step++) {
      assertEquals(b.topLogits().get(step).ids(), a.topLogits().get(step).ids(), "step " + step);
      for (int k = 0; k < a.topLogits().get(step).logits().size(); k++) {
        assertEquals(b.topLogits().get(step).logits().get(k), a.topLogits().get(step).logits().get(k), 1e-5, "step " + step);
      }
    }
  }
}
