package dev.gemma4j.examples;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;

/** One-shot generation: the simplest call, then one with a configuration and its result. */
public final class GenerateExample {
  private GenerateExample() {}

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) {
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args))) {
      System.out.println(gemma.generate("The capital of France is"));

      Generation g =
          gemma.generate(
              Prompt.text("The capital of France is"),
              GenerationConfig.builder().maxNewTokens(20).temperature(0.7).topP(0.9).seed(42).build());
      System.out.println(g.text());
      System.out.println("finish reason: " + g.finishReason() + ", generated ids: " + g.tokenIds());
    }
  }
}
