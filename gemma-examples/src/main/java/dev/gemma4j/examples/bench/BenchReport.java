package dev.gemma4j.examples.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.engine.KvCacheGroupStats;
import dev.gemma4j.engine.DeviceCounters;
import dev.gemma4j.engine.MemorySnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Benchmark results: the numbers, a terminal table, a JSON object and a report folder. */
public final class BenchReport {
  private BenchReport() {}

  /**
   * One workload's results.
   *
   * @param workload what ran
   * @param device the device in words
   * @param backend the backend's name
   * @param model the model's architecture in words
   * @param seconds wall time of the measured run
   * @param requestsPerS requests completed per second
   * @param outputTokensPerS generated tokens per second, all requests together
   * @param ttftMsP50 median time to first token
   * @param ttftMsP95 95th percentile of the time to first token
   * @param msPerTokenP50 median time per output token after the first
   * @param msPerTokenP95 95th percentile of the time per output token
   * @param kvBlocksPeak most full-attention KV blocks in use at once
   * @param kvBlocksTotal full-attention KV blocks in the pool
   * @param kvBlockSize token positions per block
   * @param prefixHitRate share of prompt tokens served from the prefix cache
   * @param weightBytes static memory: the weights as held by the backend
   * @param kvCacheBytes dynamic memory: the KV cache allocated
   * @param kvCacheUsedPeakBytes the part of the KV cache in use at the peak
   * @param peakMemoryBytes the process's peak memory during the run
   * @param decodeSteps steps of the run in which every sequence decoded one token
   * @param decodeCounters what the device did in those steps (zero where the backend does not count)
   */
  public record Result(
      Workload workload,
      String device,
      String backend,
      String model,
      double seconds,
      double requestsPerS,
      double outputTokensPerS,
      double ttftMsP50,
      double ttftMsP95,
      double msPerTokenP50,
      double msPerTokenP95,
      int kvBlocksPeak,
      int kvBlocksTotal,
      int kvBlockSize,
      double prefixHitRate,
      long weightBytes,
      long kvCacheBytes,
      long kvCacheUsedPeakBytes,
      long peakMemoryBytes,
      long decodeSteps,
      DeviceCounters decodeCounters) {

    static Result of(
        Workload w, Gemma gemma, double seconds, List<Generation> done, EngineStats before, EngineStats engine,
        MemorySnapshot memory) {
      double[] ttft = done.stream().mapToDouble(g -> g.stats().timeToFirstToken().toNanos() / 1e6).toArray();
      double[] tpot = done.stream().mapToDouble(g -> g.stats().decodeMsPerToken()).toArray();
      long generated = done.stream().mapToLong(g -> g.stats().generatedTokens()).sum();
      ModelConfig c = gemma.config();
      // Every layer's block holds the same bytes (one head shape per model), so the peak's share of the
      // cache's layer-blocks is its share of the cache's bytes.
      long layerBlocks = 0;
      long peakLayerBlocks = 0;
      for (KvCacheGroupStats g : engine.kvCacheGroups()) {
        layerBlocks += (long) g.blocks() * g.layers();
        peakLayerBlocks += (long) g.peakBlocksInUse() * g.layers();
      }
      long usedPeak = layerBlocks == 0 ? 0 : (long) ((double) engine.kvCacheBytes() * peakLayerBlocks / layerBlocks);
      return new Result(
          w,
          gemma.deviceName(),
          gemma.backendName(),
          c.summary(),
          seconds,
          done.size() / seconds,
          generated / seconds,
          percentile(ttft, 50),
          percentile(ttft, 95),
          percentile(tpot, 50),
          percentile(tpot, 95),
          engine.longestContextGroup().peakBlocksInUse(),
          engine.longestContextGroup().blocks(),
          engine.blockSize(),
          engine.prefixHitRate(),
          memory.weightBytes(),
          memory.kvCacheBytes(),
          usedPeak,
          memory.peakBytes(),
          engine.decodeSteps() - before.decodeSteps(),
          engine.decodeCounters().minus(before.decodeCounters()));
    }

    /** Whether the backend counted its device work (the NPU does, the CPU does not). */
    boolean countsDevice() {
      return decodeSteps > 0 && decodeCounters.launches() > 0;
    }

    /** A device counter averaged over the decode steps. */
    double perDecodeStep(long total) {
      return decodeSteps == 0 ? 0 : (double) total / decodeSteps;
    }
  }

  /** The {@code p}-th percentile (nearest rank) of the values. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return 0;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** A table for the terminal, in the article's terms. */
  public static String table(Result r) {
    Workload w = r.workload();
    return String.join(
        "\n",
        String.format(Locale.ROOT, "workload %-6s %d requests, %d concurrent, %d -> %d tokens", w.name(), w.requests(), w.concurrency(), w.promptTokens(), w.newTokens()),
        String.format(Locale.ROOT, "model            %s", r.model()),
        String.format(Locale.ROOT, "device           %s (%s)", r.device(), r.backend()),
        String.format(Locale.ROOT, "requests/s       %.3f", r.requestsPerS()),
        String.format(Locale.ROOT, "output tokens/s  %.2f", r.outputTokensPerS()),
        String.format(Locale.ROOT, "TTFT p50 / p95   %.0f / %.0f ms", r.ttftMsP50(), r.ttftMsP95()),
        String.format(Locale.ROOT, "ms/token p50/p95 %.1f / %.1f ms", r.msPerTokenP50(), r.msPerTokenP95()),
        String.format(Locale.ROOT, "KV blocks peak   %d of %d (%d tokens each)", r.kvBlocksPeak(), r.kvBlocksTotal(), r.kvBlockSize()),
        String.format(Locale.ROOT, "prefix-cache hit %.1f%%", 100 * r.prefixHitRate()),
        String.format(Locale.ROOT, "memory           static (weights) %s, dynamic (KV cache) %s allocated / %s used at peak, process peak %s",
            Figures.bytes(r.weightBytes()), Figures.bytes(r.kvCacheBytes()), Figures.bytes(r.kvCacheUsedPeakBytes()), Figures.bytes(r.peakMemoryBytes())),
        String.format(Locale.ROOT, "wall time        %.1f s", r.seconds()))
        + (r.countsDevice() ? "\n" + String.format(Locale.ROOT,
            "per decode step  %.1f launches, %.2f syncs, %.0f B host->device, %.0f B device->host, %.2f allocations,"
                + " %s of temporaries at most",
            r.perDecodeStep(r.decodeCounters().launches()), r.perDecodeStep(r.decodeCounters().syncs()),
            r.perDecodeStep(r.decodeCounters().hostToDeviceBytes()), r.perDecodeStep(r.decodeCounters().deviceToHostBytes()),
            r.perDecodeStep(r.decodeCounters().allocations()), Figures.bytes(r.decodeCounters().stepPeakBytes())) : "");
  }

  /** One JSON object with every figure. */
  public static String json(Result r) {
    return jsonObject(r).toString();
  }

  /** The last run's figures, with every run of a sweep under {@code "sweep"}. */
  public static String json(List<Result> results) {
    JsonObject last = jsonObject(results.getLast());
    if (results.size() > 1) {
      JsonArray sweep = new JsonArray();
      results.forEach(r -> sweep.add(jsonObject(r)));
      last.add("sweep", sweep);
    }
    return last.toString();
  }

  static JsonObject jsonObject(Result r) {
    JsonObject o = new JsonObject();
    o.addProperty("workload", r.workload().name());
    o.addProperty("concurrency", r.workload().concurrency());
    o.addProperty("requests", r.workload().requests());
    o.addProperty("prompt_tokens", r.workload().promptTokens());
    o.addProperty("new_tokens", r.workload().newTokens());
    o.addProperty("device", r.device());
    o.addProperty("backend", r.backend());
    o.addProperty("model", r.model());
    o.addProperty("seconds", Figures.round(r.seconds()));
    o.addProperty("requests_per_s", Figures.round(r.requestsPerS()));
    o.addProperty("output_tokens_per_s", Figures.round(r.outputTokensPerS()));
    o.addProperty("ttft_ms_p50", Figures.round(r.ttftMsP50()));
    o.addProperty("ttft_ms_p95", Figures.round(r.ttftMsP95()));
    o.addProperty("ms_per_token_p50", Figures.round(r.msPerTokenP50()));
    o.addProperty("ms_per_token_p95", Figures.round(r.msPerTokenP95()));
    o.addProperty("kv_blocks_peak", r.kvBlocksPeak());
    o.addProperty("kv_blocks_total", r.kvBlocksTotal());
    o.addProperty("kv_block_size", r.kvBlockSize());
    o.addProperty("prefix_cache_hit_rate", Figures.round(r.prefixHitRate()));
    o.addProperty("static_memory_bytes", r.weightBytes());
    o.addProperty("kv_cache_bytes", r.kvCacheBytes());
    o.addProperty("kv_cache_used_peak_bytes", r.kvCacheUsedPeakBytes());
    o.addProperty("peak_memory_bytes", r.peakMemoryBytes());
    if (r.countsDevice()) {
      String prefix = r.backend() + "_";
      DeviceCounters c = r.decodeCounters();
      o.addProperty("decode_steps", r.decodeSteps());
      o.addProperty(prefix + "launches_per_step", Figures.round(r.perDecodeStep(c.launches())));
      o.addProperty(prefix + "syncs_per_step", Figures.round(r.perDecodeStep(c.syncs())));
      o.addProperty(prefix + "h2d_bytes_per_step", Figures.round(r.perDecodeStep(c.hostToDeviceBytes())));
      o.addProperty(prefix + "d2h_bytes_per_step", Figures.round(r.perDecodeStep(c.deviceToHostBytes())));
      o.addProperty(prefix + "allocations_per_step", Figures.round(r.perDecodeStep(c.allocations())));
      o.addProperty(prefix + "step_peak_bytes", c.stepPeakBytes());
    }
    return o;
  }

  /** Writes {@code results.json}, {@code results.md} and {@code chart.png} into {@code dir}. */
  public static void write(Path dir, List<Result> results) throws IOException {
    Files.createDirectories(dir);
    BenchChart.write(dir.resolve("chart.png"), results);
    JsonArray all = new JsonArray();
    results.forEach(r -> all.add(jsonObject(r)));
    Files.writeString(dir.resolve("results.json"), new GsonBuilder().setPrettyPrinting().create().toJson(all) + "\n");
    Files.writeString(dir.resolve("results.md"), markdown(results));
  }

  /** The results as a Markdown table, one row per workload. */
  public static String markdown(List<Result> results) {
    StringBuilder md = new StringBuilder();
    md.append("| workload | concurrency | prompt -> new | requests/s | output tokens/s | TTFT p50 / p95 (ms) | ms/token p50 / p95 | KV blocks peak | prefix hits | weights | KV cache | peak memory |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      Workload w = r.workload();
      md.append(String.format(Locale.ROOT, "| %s | %d | %d -> %d | %.3f | %.2f | %.0f / %.0f | %.1f / %.1f | %d / %d | %.1f%% | %s | %s | %s |%n",
          w.name(), w.concurrency(), w.promptTokens(), w.newTokens(), r.requestsPerS(), r.outputTokensPerS(),
          r.ttftMsP50(), r.ttftMsP95(), r.msPerTokenP50(), r.msPerTokenP95(), r.kvBlocksPeak(), r.kvBlocksTotal(),
          100 * r.prefixHitRate(), Figures.bytes(r.weightBytes()), Figures.bytes(r.kvCacheBytes()), Figures.bytes(r.peakMemoryBytes())));
    }
    if (!results.isEmpty()) {
      md.append("\nModel: ").append(results.getFirst().model()).append("; device: ").append(results.getFirst().device()).append('\n');
    }
    return md.toString();
  }


}
