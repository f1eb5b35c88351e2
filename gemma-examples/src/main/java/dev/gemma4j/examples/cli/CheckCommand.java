package dev.gemma4j.examples.cli;

import dev.gemma4j.examples.bench.Figures;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.gemma4j.Gemma;
import dev.gemma4j.check.CheckReport;
import dev.gemma4j.check.DeploymentCheck;
import dev.gemma4j.spi.Backends;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gemma check}: the deployment check. Device, load, memory, four prompts, a benchmark and a
 * summary; with {@code --json} the last line holds every figure.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "check", description = "Deployment check: device, load, memory, four prompts, benchmark, summary.")
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ModelOptions model = new ModelOptions();

  @Option(names = "--chat", description = "Wrap the prompts in the chat template (for -it models).")
  boolean chat;

  @Option(names = "--json", description = "End with one JSON object of every figure.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    out.println("== Device");
    out.println(Backends.discover().diagnostics());
    String path = model.modelOrBundled(err);
    long start = System.nanoTime();
    try (Gemma gemma = Gemma.open(path, model.toOptions(spec))) {
      double loadSeconds = (System.nanoTime() - start) / 1e9;
      out.printf(Locale.ROOT, "  using %s%n%n== Model%n  %s%n  loaded in %.2f s; memory after load %s%n%n",
          gemma.deviceName(), gemma.config().summary(), loadSeconds, Figures.bytes(gemma.memoryAfterLoadBytes()));
      out.println("== Prompts (temperature 0.7, top-p 0.9, 50 new tokens)");
      out.flush();
      DeploymentCheck check = DeploymentCheck.defaults().withChatTemplate(chat);
      CheckReport report = check.run(gemma, loadSeconds, new Printer(out));
      summary(out, report);
      if (json) {
        out.println(json(report));
      }
      out.flush();
    }
    return 0;
  }

  /** Prints each step's result as it comes. */
  private record Printer(PrintWriter out) implements DeploymentCheck.Progress {
    @Override
    public void step(String what) {
      if (what.startsWith("warm-up")) {
        out.println("\n== Benchmark: " + DeploymentCheck.BENCHMARK_PROMPT + " (greedy, 100 new tokens)");
        out.println("  " + what + " ...");
        out.flush();
      }
    }

    @Override
    public void result(String what, CheckReport.PromptResult r) {
      if (what.startsWith("prompt")) {
        out.printf(Locale.ROOT, "  [%s] %s%n", what.substring("prompt ".length()), r.prompt());
        out.printf(Locale.ROOT, "      %d input tokens -> %d new tokens in %.2f s (%.2f tokens/s)%n",
            r.inputTokens(), r.newTokens(), r.seconds(), r.tokensPerSecond());
        out.println("      " + r.text().replace("\n", "\n      "));
      } else {
        out.printf(Locale.ROOT, "  %s: %d tokens in %.2f s (%.2f tokens/s)%n", what, r.newTokens(), r.seconds(), r.tokensPerSecond());
      }
      out.flush();
    }
  }

  private static void summary(PrintWriter out, CheckReport r) {
    CheckReport.Benchmark b = r.benchmark();
    CheckReport.Memory m = r.memory();
    out.println();
    out.println("== Summary");
    out.printf(Locale.ROOT, "  %-22s %.2f tokens/s (±%.1f%% between runs)%n", "average speed", b.averageTokensPerSecond(), b.fluctuationPercent());
    out.printf(Locale.ROOT, "  %-22s %.1f ms (%.4f s)%n", "per token", b.msPerToken(), b.msPerToken() / 1000);
    out.printf(Locale.ROOT, "  %-22s %d tokens in %.2f s%n", "benchmark total", b.totalTokens(), b.totalSeconds());
    out.printf(Locale.ROOT, "  %-22s %s now, %s at peak, %s after load%n", "process memory", Figures.bytes(m.nowBytes()), Figures.bytes(m.peakBytes()), Figures.bytes(m.afterLoadBytes()));
    out.printf(Locale.ROOT, "  %-22s weights %s, KV cache %s%n", "held by the backend", Figures.bytes(m.weightBytes()), Figures.bytes(m.kvCacheBytes()));
    out.printf(Locale.ROOT, "  %-22s %s total, %s free%n", "device memory", Figures.bytes(m.deviceTotalBytes()), Figures.bytes(m.deviceFreeBytes()));
    out.printf(Locale.ROOT, "  %-22s %s (%s)%n", "device", r.device(), r.backend());
  }

  static String json(CheckReport r) {
    JsonObject o = new JsonObject();
    o.addProperty("device", r.device());
    o.addProperty("backend", r.backend());
    o.addProperty("model", r.model());
    o.addProperty("load_seconds", Figures.round(r.loadSeconds()));
    JsonArray prompts = new JsonArray();
    r.prompts().forEach(p -> prompts.add(prompt(p)));
    o.add("prompts", prompts);
    CheckReport.Benchmark b = r.benchmark();
    JsonObject bench = new JsonObject();
    bench.addProperty("prompt", b.prompt());
    JsonArray runs = new JsonArray();
    b.runs().forEach(p -> runs.add(prompt(p)));
    bench.add("runs", runs);
    bench.addProperty("avg_tokens_per_s", Figures.round(b.averageTokensPerSecond()));
    bench.addProperty("ms_per_token", Figures.round(b.msPerToken()));
    bench.addProperty("fluctuation_pct", Figures.round(b.fluctuationPercent()));
    bench.addProperty("total_tokens", b.totalTokens());
    bench.addProperty("total_seconds", Figures.round(b.totalSeconds()));
    o.add("benchmark", bench);
    CheckReport.Memory m = r.memory();
    JsonObject memory = new JsonObject();
    memory.addProperty("after_load_bytes", m.afterLoadBytes());
    memory.addProperty("peak_bytes", m.peakBytes());
    memory.addProperty("now_bytes", m.nowBytes());
    memory.addProperty("device_total_bytes", m.deviceTotalBytes());
    memory.addProperty("device_free_bytes", m.deviceFreeBytes());
    memory.addProperty("weight_bytes", m.weightBytes());
    memory.addProperty("kv_cache_bytes", m.kvCacheBytes());
    o.add("memory", memory);
    return o.toString();
  }

  private static JsonObject prompt(CheckReport.PromptResult p) {
    JsonObject o = new JsonObject();
    o.addProperty("prompt", p.prompt());
    o.addProperty("text", p.text());
    o.addProperty("input_tokens", p.inputTokens());
    o.addProperty("new_tokens", p.newTokens());
    o.addProperty("seconds", Figures.round(p.seconds()));
    o.addProperty("tokens_per_s", Figures.round(p.tokensPerSecond()));
    return o;
  }


}
