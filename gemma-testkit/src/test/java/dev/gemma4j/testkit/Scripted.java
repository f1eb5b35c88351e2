package dev.gemma4j.testkit;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.spi.Generator;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Generators and generations with scripted outputs and timings, built with Mockito. */
final class Scripted {
  private Scripted() {}

  /** A generation of {@code tokens} tokens in {@code millis} ms, first token after {@code ttftMillis}. */
  static Generation generation(List<Integer> tokens, String text, long millis, long ttftMillis, long peakBytes) {
    GenerationStats stats =
        new GenerationStats(3, tokens.size(), Duration.ofMillis(ttftMillis), Duration.ofMillis(millis), 1L << 20, peakBytes, 0);
    return new Generation(text, List.of(2, 5, 6), tokens, FinishReason.LENGTH, stats, List.of());
  }

  /** 100 tokens in {@code millis}: tokens/s = 100000 / millis. */
  static Generation timed(long millis) {
    return generation(java.util.Collections.nCopies(100, 7), "x", millis, millis / 10, 1L << 30);
  }

  /** A generator whose successive submissions complete with {@code results}, in order. */
  static Generator generator(Generation... results) {
    Deque<Generation> queue = new ArrayDeque<>(List.of(results));
    Generator generator = mock(Generator.class);
    when(generator.submit(any(), any(), any()))
        .thenAnswer(
            call -> {
              Generation next = queue.poll();
              if (next == null) {
                throw new AssertionError("the script ran out of generations");
              }
              GenerationHandle handle = mock(GenerationHandle.class);
              when(handle.result()).thenReturn(CompletableFuture.completedFuture(next));
              return handle;
            });
    return generator;
  }
}
