package dev.gemma4j.benchmarks;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.sampling.Samplers;
import dev.gemma4j.spi.Sampler;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One sampling decision over Gemma's vocabulary of 256000, as the engine makes it per sequence per step:
 * the row is copied (the sampler may change it) and sampled.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar gemma-benchmarks/target/benchmarks.jar SamplingBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SamplingBenchmark {
  /** Logits like the bundled random model's (flat) or a trained model's (a few likely tokens). */
  @Param({"flat", "peaked"})
  public String logits;

  @Param({"greedy", "temperature", "top-p", "top-k", "min-p", "penalty", "all"})
  public String config;

  private float[] row;
  private float[] work;
  private Sampler sampler;
  private final Sampler.TokenHistory history = new History();

  @Setup(Level.Trial)
  public void setUp() {
    Random random = new Random(1);
    row = new float[256000];
    for (int i = 0; i < row.length; i++) {
      row[i] = logits.equals("flat")
          ? (float) (random.nextGaussian() * 0.3)
          : (float) (Math.tanh((random.nextGaussian() * 3 - 6 + (i % 997 == 0 ? 8 : 0)) / 30) * 30);
    }
    work = new float[row.length];
    GenerationConfig.Builder b = GenerationConfig.builder().seed(7);
    switch (config) {
      case "greedy" -> b.greedy();
      case "temperature" -> b.temperature(0.7);
      case "top-p" -> b.temperature(0.7).topP(0.9);
      case "top-k" -> b.topK(50);
      case "min-p" -> b.temperature(0.7).minP(0.05);
      case "penalty" -> b.temperature(0.7).repetitionPenalty(1.1);
      case "all" -> b.temperature(0.7).topK(50).topP(0.9).minP(0.05).repetitionPenalty(1.1);
      default -> throw new IllegalArgumentException(config);
    }
    sampler = Samplers.forConfig(b.build());
  }

  @Benchmark
  public int sample() {
    System.arraycopy(row, 0, work, 0, row.length);
    return sampler.sample(work, history);
  }

  /** A prompt and generation of 300 tokens, for the repetition penalty. */
  private static final class History implements Sampler.TokenHistory {
    @Override
    public int size() {
      return 300;
    }

    @Override
    public int get(int i) {
      return (i * 7919) % 256000;
    }
  }
}
