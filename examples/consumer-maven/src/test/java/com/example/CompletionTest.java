package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.testkit.GemmaModel;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The application's tests on gemma4j's bundled tiny model, through the testkit's JUnit extension. */
@GemmaModel(backend = "cpu")
class CompletionTest {
  /** What Hugging Face transformers generates for this prompt on the bundled model (its golden.json). */
  static final String PROMPT = "The capital of France is";
  static final List<Integer> REFERENCE_IDS =
      List.of(208941, 208941, 208941, 240385, 235124, 3057, 3057, 237682, 251181, 80724, 64901, 91765, 164606,
          218736, 254527, 103591, 200801, 182864, 144562, 87822);
  static final String REFERENCE_TEXT =
      "一线一线一线擬sldboxbox爷ᆯ vídeossweisecompetDamian λογ猻 racc inauguración Paused fortfarandegern";

  @Test
  void completesAsTheReferenceImplementationDoes(Gemma gemma) {
    assertEquals(REFERENCE_TEXT, Completion.complete(gemma, PROMPT, 20));
    var generation =
        gemma.generate(Prompt.text(PROMPT), GenerationConfig.builder().maxNewTokens(20).ignoreEos(true).build());
    assertEquals(REFERENCE_IDS, generation.tokenIds());
  }

  @Test
  void streamsTheSameText(Gemma gemma) {
    var config = GenerationConfig.builder().maxNewTokens(20).ignoreEos(true).build();
    try (var stream = gemma.stream(Prompt.text(PROMPT), config)) {
      assertEquals(REFERENCE_TEXT, stream.events().map(event -> event.text()).collect(Collectors.joining()));
    }
  }
}
