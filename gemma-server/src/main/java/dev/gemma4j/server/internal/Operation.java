package dev.gemma4j.server.internal;

/** The two generation endpoints and the names their responses carry. */
public enum Operation {
  /** {@code POST /v1/chat/completions}. */
  CHAT("chat", "chat.completion", "chat.completion.chunk", "chatcmpl-"),
  /** {@code POST /v1/completions}. */
  TEXT_COMPLETION("text_completion", "text_completion", "text_completion", "cmpl-");

  private final String metricName;
  private final String object;
  private final String chunkObject;
  private final String idPrefix;

  Operation(String metricName, String object, String chunkObject, String idPrefix) {
    this.metricName = metricName;
    this.object = object;
    this.chunkObject = chunkObject;
    this.idPrefix = idPrefix;
  }

  /** The OpenTelemetry {@code gen_ai.operation.name}. */
  public String metricName() {
    return metricName;
  }

  /** The {@code object} of a whole response. */
  public String object() {
    return object;
  }

  /** The {@code object} of a streamed chunk. */
  public String chunkObject() {
    return chunkObject;
  }

  /** How response ids begin. */
  public String idPrefix() {
    return idPrefix;
  }
}
