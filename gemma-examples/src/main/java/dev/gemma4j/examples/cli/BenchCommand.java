package dev.gemma4j.examples.cli;

import dev.gemma4j.GemmaException;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.examples.bench.BenchReport;
import dev.gemma4j.examples.bench.ServingBenchmark;
import dev.gemma4j.examples.bench.Workload;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gemma bench}: the serving benchmark of the article this SDK answers: many concurrent requests of
 * fixed prompt and output lengths, reported as requests/s, output tokens/s, time to first token, time per
 * output token, KV-cache blocks and memory.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "bench",
    description = "Serving benchmark: concurrent requests of random prompts, fixed lengths.",
    sortOptions = false)
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ModelOptions model = new ModelOptions();

  @Option(names = "--workload", paramLabel = "short|long", description = "Preset: short = 32 concurrent, 128 -> 256; long = 16 concurrent, 1024 -> 512.")
  @Nullable String workload;

  @Option(names = "--concurrency", paramLabel = "C", split = ",", description = "Requests in flight at once; a list (1,4,8) sweeps.")
  @Nullable List<Integer> concurrency;

  @Option(names = "--requests", paramLabel = "R", description = "Requests in all (default: 2 x concurrency).")
  @Nullable Integer requests;

  @Option(names = "--prompt-tokens", paramLabel = "P", description = "Prompt length, BOS included.")
  @Nullable Integer promptTokens;

  @Option(names = "--new-tokens", paramLabel = "N", description = "Tokens generated per request.")
  @Nullable Integer newTokens;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the random prompts.")
  long seed;

  @Option(names = "--report", paramLabel = "DIR", description = "Also write results.json, results.md and a chart to DIR.")
  @Nullable Path report;

  @Option(names = "--json", description = "End with one JSON object of the results.")
  boolean json;

  @Option(names = "--json-schema", paramLabel = "FILE|order",
      description = "Also run every workload constrained to this JSON schema (order: a built-in 20-property order"
          + " schema, nested 3 deep), alternating with unconstrained runs, and compare milliseconds per token.")
  @Nullable String jsonSchema;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
      description = "With --json-schema: unconstrained/constrained pairs per workload (default 1).")
  int rounds = 1;

  @Override
  public Integer call() throws Exception {
    List<Workload> workloads = workloads();
    ResponseFormat format = jsonSchema == null ? null : ResponseFormat.jsonSchema(schemaText(jsonSchema));
    List<BenchReport.Result> results = new ArrayList<>();
    try (ServingBenchmark bench = ServingBenchmark.open(model.modelOrBundled(spec.commandLine().getErr()), model.toOptions(spec))) {
      for (Workload w : workloads) {
        for (int round = 0; round < (format == null ? 1 : Math.max(1, rounds)); round++) {
          BenchReport.Result plain = bench.run(w, seed, spec.commandLine().getErr());
          print(results, plain);
          if (format != null) {
            BenchReport.Result constrained = bench.run(w, seed, spec.commandLine().getErr(), format);
            print(results, constrained);
            spec.commandLine().getOut().printf("constrained / unconstrained ms per token (p50): %.3f / %.3f = %.3f%n%n",
                constrained.msPerTokenP50(), plain.msPerTokenP50(), constrained.msPerTokenP50() / plain.msPerTokenP50());
          }
        }
      }
    }
    if (report != null) {
      BenchReport.write(report, results);
      spec.commandLine().getErr().println("report written to " + report + " (results.json, results.md, chart.png)");
    }
    if (json) {
      spec.commandLine().getOut().println(BenchReport.json(results));
    }
    return 0;
  }

  private void print(List<BenchReport.Result> results, BenchReport.Result result) {
    results.add(result);
    spec.commandLine().getOut().println(BenchReport.table(result));
    spec.commandLine().getOut().println();
    spec.commandLine().getOut().flush();
  }

  private String schemaText(String source) throws java.io.IOException {
    if (source.equals("order")) {
      try (var in = ServingBenchmark.class.getResourceAsStream("order-schema.json")) {
        return new String(java.util.Objects.requireNonNull(in, "order-schema.json").readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    java.nio.file.Path file = java.nio.file.Path.of(source);
    if (!java.nio.file.Files.isRegularFile(file) || java.nio.file.Files.size(file) > (1 << 20)) {
      throw GemmaCli.usage(spec, "--json-schema " + source + ": give a JSON schema file of at most 1 MiB, or 'order'");
    }
    return java.nio.file.Files.readString(file);
  }

  private List<Workload> workloads() {
    if (concurrency == null || concurrency.size() <= 1) {
      return List.of(workload(concurrency == null ? null : concurrency.getFirst()));
    }
    return concurrency.stream().map(this::workload).toList();
  }

  private Workload workload(@Nullable Integer concurrency) {
    Workload base =
        workload == null
            ? null
            : switch (workload) {
              case "short" -> Workload.SHORT;
              case "long" -> Workload.LONG;
              default -> throw GemmaCli.usage(spec, "--workload " + workload + ": use short or long");
            };
    if (base == null && (concurrency == null || promptTokens == null || newTokens == null)) {
      throw GemmaCli.usage(spec, "give --workload short|long, or --concurrency, --prompt-tokens and --new-tokens");
    }
    int c = concurrency != null ? concurrency : base.concurrency();
    int p = promptTokens != null ? promptTokens : base.promptTokens();
    int n = newTokens != null ? newTokens : base.newTokens();
    int r = requests != null ? requests : 2 * c;
    if (c < 1) {
      throw GemmaCli.usage(spec, "--concurrency " + c + ": at least 1");
    }
    if (r < 1) {
      throw GemmaCli.usage(spec, "--requests " + r + ": at least 1");
    }
    if (p < 1) {
      throw GemmaCli.usage(spec, "--prompt-tokens " + p + ": at least 1 (the BOS token)");
    }
    if (n < 1) {
      throw GemmaCli.usage(spec, "--new-tokens " + n + ": at least 1");
    }
    return new Workload(workload == null ? "custom" : workload, c, r, p, n);
  }
}
