package dev.gemma4j.examples;

import dev.gemma4j.Gemma;
import dev.gemma4j.langchain4j.GemmaChatModel;
import dev.langchain4j.service.AiServices;

/**
 * A LangChain4j AI service on a Gemma model (needs {@code dev.langchain4j:langchain4j} on the class
 * path, as in any LangChain4j application).
 */
public final class LangChain4jExample {
  private LangChain4jExample() {}

  /** What the application declares; LangChain4j implements it. */
  interface Assistant {
    String chat(String message);
  }

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) {
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args))) {
      var model = GemmaChatModel.builder().gemma(gemma).temperature(0.0).maxOutputTokens(20).build();
      Assistant assistant = AiServices.create(Assistant.class, model);
      System.out.println("assistant: " + assistant.chat("The capital of France is"));
    }
  }
}
