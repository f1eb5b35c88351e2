package dev.gemma4j.testkit;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.Prompt;
import dev.gemma4j.spi.Generator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToDoubleFunction;
import org.opentest4j.AssertionFailedError;

/**
 * Timing assertions on generation, fluent and robust: every assertion is checked against warm-up-free
 * measured runs (several of them) and compares their median or a percentile, never a single sample; a
 * failure message shows every run. Speed bounds can be absolute or relative to a baseline measured in the
 * same test, which is what stays stable on shared machines.
 *
 * <pre>{@code
 * GenerationTiming.of(gemma, Prompt.text("Hello"), GenerationConfig.builder().maxNewTokens(64).ignoreEos(true).build())
 *     .warmups(1).runs(5)
 *     .assertTokensPerSecondAtLeast(20)
 *     .assertMsPerTokenAtMost(50)
 *     .assertTimeToFirstTokenAtMost(Duration.ofMillis(300))
 *     .assertSpreadWithin(10)
 *     .assertPeakMemoryAtMost(4L << 30);
 *
 * var single = GenerationTiming.of(gemma, prompt, config).runs(3);
 * GenerationTiming.of(gemma, prompt, config).concurrency(8).runs(3)
 *     .assertTokensPerSecondAtLeast(3.0, single);   // batched throughput at least 3x single
 * }</pre>
 *
 * <p>Runs happen once, at the first assertion; the following assertions reuse them.
 */
public final class GenerationTiming {
  private final Generator generator;
  private final int[] promptIds;
  private final GenerationConfig config;
  private int warmups = 1;
  private int runs = 5;
  private int concurrency = 1;
  private List<TimingRun> measured;

  private GenerationTiming(Generator generator, int[] promptIds, GenerationConfig config) {
    this.generator = generator;
    this.promptIds = promptIds.clone();
    this.config = config;
  }

  /** Timing of a generator (any implementation, a scripted one in tests) on token ids. */
  public static GenerationTiming of(Generator generator, int[] promptIds, GenerationConfig config) {
    return new GenerationTiming(generator, promptIds, config);
  }

  /** Timing of an open model on a prompt. */
  public static GenerationTiming of(Gemma gemma, Prompt prompt, GenerationConfig config) {
    return of(gemma.generator(), gemma.encode(prompt), config);
  }

  /** Unmeasured runs first (default 1). */
  public GenerationTiming warmups(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("warmups must not be negative");
    }
    warmups = count;
    return this;
  }

  /** Measured runs (default 5, at least 3 so a median means something). */
  public GenerationTiming runs(int count) {
    if (count < 3) {
      throw new IllegalArgumentException("at least 3 measured runs: a single sample is not a measurement");
    }
    runs = count;
    return this;
  }

  /** Requests per run, submitted together (default 1); tokens/s is then that of all of them. */
  public GenerationTiming concurrency(int requests) {
    if (requests < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    concurrency = requests;
    return this;
  }

  /** The measured runs (running them now if no assertion has yet). */
  public List<TimingRun> measuredRuns() {
    if (measured == null) {
      for (int i = 0; i < warmups; i++) {
        runOnce();
      }
      List<TimingRun> out = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        out.add(runOnce());
      }
      measured = List.copyOf(out);
    }
    return measured;
  }

  private TimingRun runOnce() {
    List<CompletableFuture<Generation>> requests = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      requests.add(generator.submit(promptIds, config, e -> {}).result());
    }
    List<GenerationStats> stats = requests.stream().map(CompletableFuture::join).map(Generation::stats).toList();
    if (stats.size() == 1) {
      return TimingRun.of(stats.getFirst());
    }
    // Requests submitted together: the run lasts as long as the slowest; its speed is all tokens over that.
    int tokens = stats.stream().mapToInt(GenerationStats::generatedTokens).sum();
    Duration wall = stats.stream().map(GenerationStats::totalTime).max(Duration::compareTo).orElseThrow();
    Duration firstToken = stats.stream().map(GenerationStats::timeToFirstToken).max(Duration::compareTo).orElseThrow();
    long peak = stats.stream().mapToLong(GenerationStats::peakMemoryBytes).max().orElse(0);
    double seconds = wall.toNanos() / 1e9;
    return new TimingRun(seconds > 0 ? tokens / seconds : 0, tokens > 0 ? wall.toNanos() / 1e6 / tokens : 0, firstToken, peak, tokens);
  }

  /** Median tokens/s at least {@code minimum}. */
  public GenerationTiming assertTokensPerSecondAtLeast(double minimum) {
    double median = median(TimingRun::tokensPerSecond);
    check(median >= minimum, String.format(Locale.ROOT, "median tokens/s %.3f is below %.3f", median, minimum));
    return this;
  }

  /** Median tokens/s at least {@code factor} times the median of {@code baseline}. */
  public GenerationTiming assertTokensPerSecondAtLeast(double factor, GenerationTiming baseline) {
    double median = median(TimingRun::tokensPerSecond);
    double base = baseline.median(TimingRun::tokensPerSecond);
    check(
        median >= factor * base,
        String.format(Locale.ROOT, "median tokens/s %.3f is below %.2f x the baseline's %.3f = %.3f%nbaseline runs:%n%s",
            median, factor, base, factor * base, baseline.listing()));
    return this;
  }

  /** Median milliseconds per token at most {@code maximum}. */
  public GenerationTiming assertMsPerTokenAtMost(double maximum) {
    double median = median(TimingRun::msPerToken);
    check(median <= maximum, String.format(Locale.ROOT, "median ms/token %.3f is above %.3f", median, maximum));
    return this;
  }

  /** Median time to first token at most {@code maximum}. */
  public GenerationTiming assertTimeToFirstTokenAtMost(Duration maximum) {
    return assertTimeToFirstTokenAtMost(maximum, 50);
  }

  /** The {@code percentile}-th percentile (nearest rank) of the time to first token at most {@code maximum}. */
  public GenerationTiming assertTimeToFirstTokenAtMost(Duration maximum, double percentile) {
    double value = percentile(r -> r.timeToFirstToken().toNanos() / 1e6, percentile);
    check(
        value <= maximum.toNanos() / 1e6,
        String.format(Locale.ROOT, "p%.0f time to first token %.1f ms is above %d ms", percentile, value, maximum.toMillis()));
    return this;
  }

  /**
   * The spread between runs within ±{@code percent}: half the range of the runs' tokens/s relative to
   * their mean (the deployment check's stability figure).
   */
  public GenerationTiming assertSpreadWithin(double percent) {
    double spread = spreadPercent();
    check(spread <= percent, String.format(Locale.ROOT, "runs spread ±%.2f%%, more than ±%.2f%%", spread, percent));
    return this;
  }

  /** The largest peak memory of the runs at most {@code maximumBytes}. */
  public GenerationTiming assertPeakMemoryAtMost(long maximumBytes) {
    long peak = measuredRuns().stream().mapToLong(TimingRun::peakMemoryBytes).max().orElse(0);
    check(peak <= maximumBytes, String.format(Locale.ROOT, "peak memory %d MiB is above %d MiB", peak >> 20, maximumBytes >> 20));
    return this;
  }

  /** Half the range of the runs' tokens/s relative to their mean, in percent. */
  public double spreadPercent() {
    double[] v = values(TimingRun::tokensPerSecond);
    double mean = Arrays.stream(v).average().orElse(0);
    double range = Arrays.stream(v).max().orElse(0) - Arrays.stream(v).min().orElse(0);
    return mean > 0 ? range / 2 / mean * 100 : 0;
  }

  /** The median of a figure over the measured runs. */
  public double median(ToDoubleFunction<TimingRun> figure) {
    return percentile(figure, 50);
  }

  private double percentile(ToDoubleFunction<TimingRun> figure, double p) {
    double[] sorted = values(figure);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private double[] values(ToDoubleFunction<TimingRun> figure) {
    return measuredRuns().stream().mapToDouble(figure).toArray();
  }

  private void check(boolean ok, String problem) {
    if (!ok) {
      throw new AssertionFailedError(
          problem + String.format(Locale.ROOT, "%n%d measured runs (after %d warm-ups, %d request(s) each):%n%s",
              runs, warmups, concurrency, listing()));
    }
  }

  private String listing() {
    StringBuilder s = new StringBuilder();
    List<TimingRun> all = measuredRuns();
    for (int i = 0; i < all.size(); i++) {
      s.append("  run ").append(i + 1).append(": ").append(all.get(i)).append('\n');
    }
    return s.toString();
  }
}
