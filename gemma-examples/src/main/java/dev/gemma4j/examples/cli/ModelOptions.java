package dev.gemma4j.examples.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.testkit.BundledModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {
  @Option(
      names = "--model",
      paramLabel = "DIR_OR_ID",
      description = "Checkpoint folder or model id such as google/gemma-2-2b-it (default: the bundled tiny model).")
  @Nullable String model;

  @Option(names = "--backend", paramLabel = "NAME", description = "cpu, npu, npu:N or auto (default).")
  @Nullable String backend;

  @Option(
      names = "--dtype",
      paramLabel = "f32|bf16",
      defaultValue = "f32",
      description = "Math precision: f32 (default) or bf16.")
  String dtype = "f32";

  @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores).")
  int threads;

  @Option(names = "--revision", paramLabel = "REV", defaultValue = "main", description = "Hub revision.")
  String revision = "main";

  @Option(names = "--cache-dir", paramLabel = "DIR", description = "Hugging Face cache folder.")
  @Nullable Path cacheDir;

  @Option(names = "--offline", description = "Never touch the network.")
  boolean offline;

  @Option(
      names = "--kv-cache-tokens",
      paramLabel = "N",
      description = "KV-cache size in tokens (default: 30% of free memory).")
  int kvCacheTokens;

  GemmaOptions toOptions() {
    EngineOptions engine = EngineOptions.defaults().withKvCacheTokens(kvCacheTokens);
    return GemmaOptions.builder()
        .backend(backend)
        .precision(Precision.parse(dtype))
        .threads(threads)
        .revision(revision)
        .cacheDir(cacheDir)
        .offline(offline)
        .engine(engine)
        .build();
  }

  /** The model to open: the one given, else the bundled tiny model (said on standard error). */
  String modelOrBundled(PrintWriter err) {
    if (model != null) {
      return model;
    }
    err.println("no --model given: using the bundled tiny model " + BundledModel.NAME
        + " (random weights, the real Gemma tokenizer: the text is gibberish, the numbers are real)");
    err.flush();
    return BundledModel.path().toString();
  }

  Gemma open(PrintWriter err) {
    return Gemma.open(modelOrBundled(err), toOptions());
  }
}
