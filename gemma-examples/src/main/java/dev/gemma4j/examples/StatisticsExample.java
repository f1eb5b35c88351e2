package dev.gemma4j.examples;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.Prompt;
import dev.gemma4j.engine.MemorySnapshot;

/** Reading speed and memory: per-request statistics and the backend's memory probe. */
public final class StatisticsExample {
  private StatisticsExample() {}

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) {
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args))) {
      Generation g =
          gemma.generate(Prompt.text("请详细介绍深度学习的基本原理和应用场景:"), GenerationConfig.builder().maxNewTokens(40).ignoreEos(true).build());
      GenerationStats s = g.stats();
      System.out.printf("prompt tokens        %d%n", s.promptTokens());
      System.out.printf("generated tokens     %d%n", s.generatedTokens());
      System.out.printf("time to first token  %d ms%n", s.timeToFirstToken().toMillis());
      System.out.printf("tokens/s             %.2f%n", s.tokensPerSecond());
      System.out.printf("ms per token         %.2f%n", s.msPerToken());
      System.out.printf("memory after load    %d MiB%n", s.memoryAfterLoadBytes() >> 20);
      System.out.printf("peak memory          %d MiB%n", s.peakMemoryBytes() >> 20);

      MemorySnapshot m = gemma.memory();
      System.out.printf("device %s: %d MiB total, %d MiB free; weights %d MiB, KV cache %d MiB%n",
          m.device(), m.totalBytes() >> 20, m.freeBytes() >> 20, m.weightBytes() >> 20, m.kvCacheBytes() >> 20);
    }
  }
}
