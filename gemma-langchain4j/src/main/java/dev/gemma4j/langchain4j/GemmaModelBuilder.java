package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What both chat models are built from: the {@link Gemma} (which the caller keeps and closes), the default
 * request parameters, a seed and listeners.
 *
 * @param <B> the concrete builder
 */
public abstract class GemmaModelBuilder<B extends GemmaModelBuilder<B>> {
  @Nullable Gemma gemma;
  @Nullable String modelName;
  @Nullable Double temperature;
  @Nullable Double topP;
  @Nullable Integer topK;
  @Nullable Integer maxOutputTokens;
  List<String> stopSequences = List.of();
  @Nullable Long seed;
  @Nullable ToolChoice toolChoice;
  List<ChatModelListener> listeners = new ArrayList<>();

  GemmaModelBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** The model to chat with; required. The chat model does not close it. */
  public B gemma(Gemma value) {
    gemma = value;
    return self();
  }

  /** The model name responses report (default: the name the model was opened with). */
  public B modelName(String value) {
    modelName = value;
    return self();
  }

  /** The default temperature; 0 is greedy decoding. */
  public B temperature(Double value) {
    temperature = value;
    return self();
  }

  /** The default top-p. */
  public B topP(Double value) {
    topP = value;
    return self();
  }

  /** The default top-k. */
  public B topK(Integer value) {
    topK = value;
    return self();
  }

  /** The default most tokens to generate. */
  public B maxOutputTokens(Integer value) {
    maxOutputTokens = value;
    return self();
  }

  /** The default stop sequences. */
  public B stopSequences(List<String> values) {
    stopSequences = List.copyOf(values);
    return self();
  }

  /** The random seed of sampling, for repeatable answers. */
  public B seed(Long value) {
    seed = value;
    return self();
  }

  /**
   * The default tool choice when a request offers tools: AUTO (the default) lets the model choose between
   * text and calls, REQUIRED makes it call one, NONE offers none.
   */
  public B toolChoice(ToolChoice value) {
    toolChoice = value;
    return self();
  }

  /** Listeners of every request, response and error. */
  public B listeners(List<ChatModelListener> values) {
    listeners = new ArrayList<>(values);
    return self();
  }

  Gemma requireGemma() {
    return Objects.requireNonNull(gemma, "gemma: give the builder the Gemma to chat with");
  }

  ChatRequestParameters defaults() {
    return DefaultChatRequestParameters.builder()
        .modelName(modelName != null ? modelName : requireGemma().info().model())
        .temperature(temperature)
        .topP(topP)
        .topK(topK)
        .maxOutputTokens(maxOutputTokens)
        .stopSequences(stopSequences)
        .toolChoice(toolChoice)
        .build();
  }
}
