package dev.gemma4j.examples;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Many threads, one model: concurrent calls join one running batch and share the KV cache. Each thread
 * just calls {@code generate}.
 */
public final class ConcurrentRequestsExample {
  private ConcurrentRequestsExample() {}

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) throws Exception {
    List<String> prompts =
        List.of("The capital of France is", "解释人工智能的基本概念:", "写一个Python函数计算斐波那契数列:", "机器学习中的过拟合是指:");
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(24).build();
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args));
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Generation>> answers =
          prompts.stream().map(p -> clients.submit(() -> gemma.generate(Prompt.text(p), config))).toList();
      for (int i = 0; i < prompts.size(); i++) {
        Generation g = answers.get(i).get();
        System.out.printf("%s -> %s (%.1f tokens/s)%n", prompts.get(i), g.text(), g.stats().tokensPerSecond());
      }
      System.out.println("engine: " + gemma.engineStats());
    }
  }
}
