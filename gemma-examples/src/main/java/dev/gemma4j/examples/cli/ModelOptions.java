package dev.gemma4j.examples.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.spi.Precision;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR_OR_ID",
      description = "Checkpoint folder or model id such as google/gemma-2-2b-it.")
  String model = "";

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

  Gemma open() {
    return Gemma.open(model, toOptions());
  }
}
