package dev.gemma4j.examples.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.WeightQuantization;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.spi.Backends;
import dev.gemma4j.spi.Precision;
import dev.gemma4j.testkit.BundledModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
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
      description = "Math precision: f32 or bf16 (default: the backend's, f32 on the CPU and bf16 on the NPU).")
  @Nullable String dtype;

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
      description = "KV-cache size in tokens (default: 30%% of free memory).")
  int kvCacheTokens;

  @Option(
      names = "--quantize",
      paramLabel = "int8|int4",
      description = "Quantize the linear layers of a float checkpoint while loading: int8 or int4.")
  @Nullable String quantize;

  @Option(
      names = "--queue-capacity",
      paramLabel = "N",
      description = "Requests that may wait for the batch (default 1024).")
  int queueCapacity = EngineOptions.defaults().queueCapacity();

  @Option(
      names = "--max-batch-size",
      paramLabel = "N",
      description = "Sequences one step runs at most (default 0: sized for the device, " + EngineOptions.DEFAULT_MAX_BATCH_SIZE
          + " on the CPU, up to 256 on an NPU).")
  int maxBatchSize = EngineOptions.defaults().maxBatchSize();

  /**
   * The options, each value checked here so that a wrong one is a usage error naming it.
   *
   * @throws picocli.CommandLine.ParameterException for a value out of range
   */
  GemmaOptions toOptions(CommandSpec spec) {
    int processors = Runtime.getRuntime().availableProcessors();
    if (threads < 0 || threads > processors) {
      throw GemmaCli.usage(spec, "--threads " + threads + ": use 1 to " + processors + " (this machine's processors), or 0"
          + " for one per physical core");
    }
    if (kvCacheTokens < 0) {
      throw GemmaCli.usage(spec, "--kv-cache-tokens " + kvCacheTokens + ": a number of tokens, or 0 (the default) to size"
          + " the cache from free memory");
    }
    if (queueCapacity < 1) {
      throw GemmaCli.usage(spec, "--queue-capacity " + queueCapacity + ": at least 1");
    }
    if (maxBatchSize < 0 || maxBatchSize > EngineOptions.MAX_BATCH_SIZE) {
      throw GemmaCli.usage(spec, "--max-batch-size " + maxBatchSize + ": 1 to " + EngineOptions.MAX_BATCH_SIZE
          + ", or 0 (the default) to size the batch for the device");
    }
    Precision precision = null;
    try {
      precision = dtype == null ? null : Precision.parse(dtype);
    } catch (IllegalArgumentException e) {
      throw GemmaCli.usage(spec, "--dtype " + dtype + ": " + e.getMessage());
    }
    if (backend != null && !backend.equals("auto")) {
      var names = Backends.discover().providers().stream().map(p -> p.name()).toList();
      String kind = backend.contains(":") ? backend.substring(0, backend.indexOf(':')) : backend;
      if (!names.contains(kind) || backend.contains(":") && !backend.substring(backend.indexOf(':') + 1).matches("\\d{1,3}")) {
        throw GemmaCli.usage(spec, "--backend " + backend + ": use auto, " + String.join(", ", names)
            + " or a device such as npu:1");
      }
    }
    WeightQuantization quantization = WeightQuantization.NONE;
    if (quantize != null) {
      quantization = switch (quantize.toLowerCase(java.util.Locale.ROOT)) {
        case "int8" -> WeightQuantization.INT8;
        case "int4" -> WeightQuantization.INT4;
        default -> throw GemmaCli.usage(spec, "--quantize " + quantize + ": int8 or int4");
      };
    }
    try {
      EngineOptions engine = EngineOptions.defaults().withKvCacheTokens(kvCacheTokens).withQueueCapacity(queueCapacity)
          .withMaxBatchSize(maxBatchSize);
      return GemmaOptions.builder()
          .backend(backend)
          .precision(precision)
          .threads(threads)
          .revision(revision)
          .cacheDir(cacheDir)
          .offline(offline)
          .engine(engine)
          .quantize(quantization)
          .build();
    } catch (IllegalArgumentException e) {
      throw GemmaCli.usage(spec, e.getMessage());
    }
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

  Gemma open(CommandSpec spec) {
    GemmaOptions options = toOptions(spec);
    return Gemma.open(modelOrBundled(spec.commandLine().getErr()), options);
  }
}
