package dev.gemma4j.examples;

import dev.gemma4j.ChatMessage;
import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import java.util.ArrayList;
import java.util.List;

/** A two-turn chat with a system instruction, rendered with Gemma 2's chat template. */
public final class ChatExample {
  private ChatExample() {}

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) {
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(32).build();
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args))) {
      List<ChatMessage> conversation = new ArrayList<>();
      conversation.add(ChatMessage.system("Answer in one sentence."));
      conversation.add(ChatMessage.user("What is overfitting?"));
      Generation first = gemma.chat(conversation, config);
      System.out.println("model: " + first.text());

      conversation.add(ChatMessage.model(first.text()));
      conversation.add(ChatMessage.user("How do I avoid it?"));
      Generation second = gemma.chat(conversation, config);
      System.out.println("model: " + second.text());
    }
  }
}
