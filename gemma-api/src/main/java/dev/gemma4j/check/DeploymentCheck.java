package dev.gemma4j.check;

import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.engine.MemorySnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The deployment check of the article this SDK answers, for applications to run at start-up: four
 * prompts sampled with temperature 0.7 and top-p 0.9 (50 new tokens each), then a benchmark prompt run
 * greedily (one warm-up, three measured runs of 100 new tokens), then memory. Every figure is in the
 * returned {@link CheckReport}.
 *
 * <pre>{@code
 * try (var gemma = Gemma.open("google/gemma-2-9b-it")) {
 *   CheckReport report = DeploymentCheck.defaults().run(gemma);
 *   if (report.benchmark().averageTokensPerSecond() < 5) { ... }
 * }
 * }</pre>
 */
public final class DeploymentCheck {
  /** The article's four prompts. */
  public static final List<String> PROMPTS =
      List.of("The capital of France is", "解释人工智能的基本概念:", "写一个Python函数计算斐波那契数列:", "机器学习中的过拟合是指:");

  /** The article's benchmark prompt. */
  public static final String BENCHMARK_PROMPT = "请详细介绍深度学习的基本原理和应用场景:";

  /** What a running check reports as it goes. */
  public interface Progress {
    /** A step begins, e.g. {@code "prompt 2/4"}. */
    void step(String what);

    /** A step's result. */
    void result(String what, CheckReport.PromptResult result);
  }

  private final List<String> prompts;
  private final GenerationConfig promptConfig;
  private final String benchmarkPrompt;
  private final int warmups;
  private final int runs;
  private final int benchmarkTokens;
  private final boolean chat;

  private DeploymentCheck(
      List<String> prompts, GenerationConfig promptConfig, String benchmarkPrompt, int warmups, int runs,
      int benchmarkTokens, boolean chat) {
    this.prompts = List.copyOf(prompts);
    this.promptConfig = promptConfig;
    this.benchmarkPrompt = benchmarkPrompt;
    this.warmups = warmups;
    this.runs = runs;
    this.benchmarkTokens = benchmarkTokens;
    this.chat = chat;
  }

  /** The article's check: its four prompts, its sampling, one warm-up and three runs of 100 tokens. */
  public static DeploymentCheck defaults() {
    return new DeploymentCheck(
        PROMPTS,
        GenerationConfig.builder().temperature(0.7).topP(0.9).maxNewTokens(50).seed(42).build(),
        BENCHMARK_PROMPT, 1, 3, 100, false);
  }

  /** This check with other prompts. */
  public DeploymentCheck withPrompts(List<String> values) {
    return new DeploymentCheck(values, promptConfig, benchmarkPrompt, warmups, runs, benchmarkTokens, chat);
  }

  /** This check with another sampling configuration for the prompts. */
  public DeploymentCheck withPromptConfig(GenerationConfig value) {
    return new DeploymentCheck(prompts, value, benchmarkPrompt, warmups, runs, benchmarkTokens, chat);
  }

  /** This check with another benchmark: prompt, warm-ups, measured runs and new tokens per run. */
  public DeploymentCheck withBenchmark(String prompt, int warmupRuns, int measuredRuns, int newTokens) {
    if (warmupRuns < 0 || measuredRuns < 1 || newTokens < 1) {
      throw new IllegalArgumentException("the benchmark needs at least one measured run of at least one token");
    }
    return new DeploymentCheck(prompts, promptConfig, prompt, warmupRuns, measuredRuns, newTokens, chat);
  }

  /** This check with prompts wrapped in the chat template (for {@code -it} models). */
  public DeploymentCheck withChatTemplate(boolean value) {
    return new DeploymentCheck(prompts, promptConfig, benchmarkPrompt, warmups, runs, benchmarkTokens, value);
  }

  /** Runs the check on an open model. */
  public CheckReport run(Gemma gemma) {
    return run(gemma, 0, new Progress() {
      @Override
      public void step(String what) {}

      @Override
      public void result(String what, CheckReport.PromptResult result) {}
    });
  }

  /** Runs the check on an open model, reporting each step to {@code progress}. */
  public CheckReport run(Gemma gemma, double loadSeconds, Progress progress) {
    Objects.requireNonNull(progress, "progress");
    gemma.generator().memoryProbe().resetPeak();
    List<CheckReport.PromptResult> results = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      String label = "prompt " + (i + 1) + "/" + prompts.size();
      progress.step(label);
      CheckReport.PromptResult r = generate(gemma, prompts.get(i), promptConfig);
      progress.result(label, r);
      results.add(r);
    }
    GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(benchmarkTokens).build();
    for (int i = 0; i < warmups; i++) {
      progress.step("warm-up " + (i + 1) + "/" + warmups);
      generate(gemma, benchmarkPrompt, greedy);
    }
    List<CheckReport.PromptResult> timed = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      String label = "benchmark run " + (i + 1) + "/" + runs;
      progress.step(label);
      CheckReport.PromptResult r = generate(gemma, benchmarkPrompt, greedy);
      progress.result(label, r);
      timed.add(r);
    }
    MemorySnapshot now = gemma.memory();
    CheckReport.Memory memory =
        new CheckReport.Memory(
            gemma.memoryAfterLoadBytes(), now.peakBytes(), now.usedBytes(), now.totalBytes(), now.freeBytes(),
            now.weightBytes(), now.kvCacheBytes());
    return new CheckReport(
        gemma.deviceName(), gemma.backendName(), gemma.config().summary(), loadSeconds, results,
        new CheckReport.Benchmark(benchmarkPrompt, timed), memory);
  }

  private CheckReport.PromptResult generate(Gemma gemma, String text, GenerationConfig config) {
    Generation g = gemma.generate(chat ? Prompt.chat(text) : Prompt.text(text), config);
    return new CheckReport.PromptResult(
        text, g.text(), g.stats().promptTokens(), g.stats().generatedTokens(), g.stats().totalTime().toNanos() / 1e9);
  }
}
