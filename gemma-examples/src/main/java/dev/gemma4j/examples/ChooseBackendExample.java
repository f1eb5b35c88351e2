package dev.gemma4j.examples;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.spi.Backends;
import dev.gemma4j.spi.Precision;

/**
 * Choosing a backend: list what was found and why each is or is not available, then open the model on
 * an explicit one. Without the option, {@code -Dgemma.backend}, then {@code GEMMA_BACKEND}, then the best
 * available backend (Ascend NPU before CPU) decide.
 */
public final class ChooseBackendExample {
  private ChooseBackendExample() {}

  /** Runs the example; the first argument names the model, the second the backend (default cpu). */
  public static void main(String[] args) {
    System.out.println(Backends.discover().diagnostics());
    String backend = args.length > 1 ? args[1] : "cpu";
    GemmaOptions options = GemmaOptions.builder().backend(backend).precision(Precision.FLOAT32).build();
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args), options)) {
      System.out.println("running on " + gemma.backendName() + ": " + gemma.deviceName());
      System.out.println(gemma.generate("The capital of France is"));
    }
  }
}
