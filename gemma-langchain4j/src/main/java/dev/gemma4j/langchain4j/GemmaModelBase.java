package dev.gemma4j.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;

/** What both chat models share: their settings, the default parameters and the listeners they report. */
abstract class GemmaModelBase {
  final ChatSettings settings;

  GemmaModelBase(GemmaModelBuilder<?> builder) {
    this.settings = ChatSettings.of(builder);
  }

  /** The parameters a request starts from (what the builder set). */
  public ChatRequestParameters defaultRequestParameters() {
    return settings.defaults();
  }

  /**
   * JSON-schema response formats are supported (constrained decoding), so LangChain4j's {@code AiServices}
   * sends a record's schema instead of asking for JSON in the prompt.
   */
  public java.util.Set<dev.langchain4j.model.chat.Capability> supportedCapabilities() {
    return java.util.Set.of(dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA);
  }

  /** The listeners of every request. */
  public List<ChatModelListener> listeners() {
    return settings.listeners();
  }
}
