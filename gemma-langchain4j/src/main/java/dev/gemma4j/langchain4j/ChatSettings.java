package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** What a chat model was built with: the model, its default parameters, a seed and listeners. */
record ChatSettings(Gemma gemma, ChatRequestParameters defaults, @Nullable Long seed, List<ChatModelListener> listeners) {

  ChatSettings {
    listeners = List.copyOf(listeners);
  }

  static ChatSettings of(GemmaModelBuilder<?> builder) {
    return new ChatSettings(builder.requireGemma(), builder.defaults(), builder.seed, builder.listeners);
  }

  /** A request's parameters as a generation config, from the model's defaults. */
  GenerationConfig config(ChatRequestParameters parameters) {
    return ChatMapping.config(parameters, gemma.defaultConfig(), seed);
  }
}
