package dev.gemma4j.server.internal;

import dev.gemma4j.FinishReason;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.engine.EngineStats;
import dev.gemma4j.engine.KvCacheGroupStats;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What {@code GET /metrics} reports, in the Prometheus text format: the engine's running and waiting
 * requests, KV-cache usage and prefix-cache hits, request and token counters, and the OpenTelemetry GenAI
 * server histograms ({@code gen_ai.server.request.duration}, {@code gen_ai.server.time_to_first_token},
 * {@code gen_ai.server.time_per_output_token}) with the bucket boundaries the semantic conventions
 * recommend, named as OpenTelemetry's Prometheus exporter names them.
 */
public final class ServerMetrics {
  /** gen_ai.server.request.duration: 0.01 s doubling to 81.92 s. */
  static final double[] REQUEST_DURATION_BOUNDS = {
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
  };
  /** gen_ai.server.time_to_first_token. */
  static final double[] TIME_TO_FIRST_TOKEN_BOUNDS = {
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
  };
  /** gen_ai.server.time_per_output_token. */
  static final double[] TIME_PER_OUTPUT_TOKEN_BOUNDS = {
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5
  };

  private final String model;
  private final Map<Operation, Histogram> requestDuration = new EnumMap<>(Operation.class);
  private final Map<Operation, Histogram> timeToFirstToken = new EnumMap<>(Operation.class);
  private final Map<Operation, Histogram> timePerOutputToken = new EnumMap<>(Operation.class);
  private final Map<FinishReason, LongAdder> finished = new EnumMap<>(FinishReason.class);
  private final LongAdder failed = new LongAdder();
  private final LongAdder promptTokens = new LongAdder();
  private final LongAdder generationTokens = new LongAdder();
  private final LongAdder prefixHits = new LongAdder();
  private final Map<Integer, LongAdder> responses = new java.util.concurrent.ConcurrentSkipListMap<>();

  /** @param model the served model name, the {@code gen_ai_request_model} label */
  public ServerMetrics(String model) {
    this.model = model;
    for (Operation op : Operation.values()) {
      requestDuration.put(op, new Histogram(REQUEST_DURATION_BOUNDS));
      timeToFirstToken.put(op, new Histogram(TIME_TO_FIRST_TOKEN_BOUNDS));
      timePerOutputToken.put(op, new Histogram(TIME_PER_OUTPUT_TOKEN_BOUNDS));
    }
    for (FinishReason reason : FinishReason.values()) {
      finished.put(reason, new LongAdder());
    }
  }

  /** Records a generation that ended (any finish reason). */
  public void finished(Operation op, FinishReason reason, GenerationStats stats) {
    finished.get(reason).increment();
    promptTokens.add(stats.promptTokens());
    generationTokens.add(stats.generatedTokens());
    prefixHits.add(stats.cachedPromptTokens());
    requestDuration.get(op).observe(stats.totalTime().toNanos() / 1e9);
    if (stats.generatedTokens() > 0) {
      timeToFirstToken.get(op).observe(stats.timeToFirstToken().toNanos() / 1e9);
    }
    if (stats.generatedTokens() > 1) {
      timePerOutputToken.get(op).observe(stats.decodeMsPerToken() / 1e3);
    }
  }

  /** Records a request the engine failed, with how long it ran. */
  public void failed(Operation op, long nanos) {
    failed.increment();
    requestDuration.get(op).observe(nanos / 1e9);
  }

  /** Counts a response by HTTP status. */
  public void responded(int status) {
    responses.computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  /** The Prometheus text exposition of these metrics and the engine's state now. */
  public String render(EngineStats engine) {
    StringBuilder out = new StringBuilder(8192);
    gauge(out, "gemma_requests_running", "Requests in the running batch.", engine.running());
    gauge(out, "gemma_requests_waiting", "Requests waiting for admission to the batch.", engine.waiting());
    KvCacheGroupStats full = engine.longestContextGroup();
    double usage = full.blocks() == 0 ? 0 : (double) full.blocksInUse() / full.blocks();
    gauge(out, "gemma_kv_cache_usage_ratio", "Share of the full-attention KV-cache blocks in use (0 to 1).", usage);
    gauge(out, "gemma_kv_cache_blocks", "KV-cache blocks of the full-attention layers.", full.blocks());
    gauge(out, "gemma_kv_cache_bytes", "Bytes of the KV cache on the device.", engine.kvCacheBytes());
    // Every prompt token of a finished request was looked up in the prefix cache.
    counter(out, "gemma_prefix_cache_queries", "Prompt tokens looked up in the prefix cache.", promptTokens.sum());
    counter(out, "gemma_prefix_cache_hits", "Prompt tokens served from the prefix cache.", prefixHits.sum());
    counter(out, "gemma_preemptions", "Sequences preempted for lack of KV-cache blocks.", engine.preemptions());
    counter(out, "gemma_engine_steps", "Forward steps the engine ran.", engine.steps());
    counter(out, "gemma_prompt_tokens", "Prompt tokens of finished requests.", promptTokens.sum());
    counter(out, "gemma_generation_tokens", "Tokens generated by finished requests.", generationTokens.sum());
    out.append("# HELP gemma_request_success_total Requests that ended, by finish reason.\n");
    out.append("# TYPE gemma_request_success_total counter\n");
    finished.forEach((reason, n) -> out.append("gemma_request_success_total{finished_reason=\"")
        .append(reason.name().toLowerCase(java.util.Locale.ROOT)).append("\"} ").append(n.sum()).append('\n'));
    counter(out, "gemma_request_failure", "Requests the engine failed.", failed.sum());
    out.append("# HELP gemma_http_responses_total HTTP responses by status.\n");
    out.append("# TYPE gemma_http_responses_total counter\n");
    responses.forEach((status, n) -> out.append("gemma_http_responses_total{status=\"").append(status).append("\"} ")
        .append(n.sum()).append('\n'));
    histograms(out, "gen_ai_server_request_duration_seconds", "Time from receiving a request to its end.", requestDuration);
    histograms(out, "gen_ai_server_time_to_first_token_seconds", "Time from receiving a request to its first token.",
        timeToFirstToken);
    histograms(out, "gen_ai_server_time_per_output_token_seconds", "Time per output token after the first.",
        timePerOutputToken);
    return out.toString();
  }

  private void histograms(StringBuilder out, String name, String help, Map<Operation, Histogram> byOperation) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" histogram\n");
    byOperation.forEach((op, h) -> h.write(out, name, "gen_ai_operation_name=\"" + op.metricName()
        + "\",gen_ai_request_model=\"" + escape(model) + "\",gen_ai_system=\"gemma4j\""));
  }

  private static void gauge(StringBuilder out, String name, String help, double value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" gauge\n");
    out.append(name).append(' ').append(Histogram.format(value)).append('\n');
  }

  private static void counter(StringBuilder out, String name, String help, long value) {
    out.append("# HELP ").append(name).append("_total ").append(help).append('\n');
    out.append("# TYPE ").append(name).append("_total counter\n");
    out.append(name).append("_total ").append(value).append('\n');
  }

  private static String escape(String label) {
    return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
