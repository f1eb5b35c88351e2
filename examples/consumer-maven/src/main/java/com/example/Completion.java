package com.example;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;

/** The application: completes a text with a Gemma 2 model given as an id or a checkpoint folder. */
public final class Completion {
  private Completion() {}

  /** The greedy completion of {@code text}, {@code tokens} tokens long. */
  public static String complete(Gemma gemma, String text, int tokens) {
    return gemma.generate(Prompt.text(text), GenerationConfig.builder().maxNewTokens(tokens).ignoreEos(true).build()).text();
  }

  /** {@code java com.example.Completion MODEL TEXT}. */
  public static void main(String[] args) {
    try (Gemma gemma = Gemma.open(args[0])) {
      System.out.println(complete(gemma, args[1], 20));
    }
  }
}
