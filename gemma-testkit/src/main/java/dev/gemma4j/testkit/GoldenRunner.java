package dev.gemma4j.testkit;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;

/** Produces the greedy generation of a golden prompt. */
@FunctionalInterface
public interface GoldenRunner {
  /** Generates greedily, {@code prompt.maxNewTokens()} tokens at most, stopping at end of sequence. */
  Generation run(GoldenPrompt prompt);

  /** The runner of an open model. */
  static GoldenRunner of(Gemma gemma) {
    return p ->
        gemma.generate(
            p.chat() ? Prompt.chat(p.text()) : Prompt.text(p.text()),
            GenerationConfig.builder().maxNewTokens(p.maxNewTokens()).build());
  }
}
