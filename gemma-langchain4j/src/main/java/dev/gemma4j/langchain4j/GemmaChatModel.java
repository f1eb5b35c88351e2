package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

/**
 * A {@link Gemma} as a LangChain4j {@link ChatModel}: for {@code AiServices}, chains and agents. Chats are
 * rendered with Gemma's chat template; message text stays plain text. Parameters map to gemma4j's
 * (temperature 0 is greedy decoding). Tool specifications are offered to the model in gemma4j's tool-call
 * format and its calls, constrained to their parameter schemas, come back as tool execution requests; a
 * JSON response format with a schema constrains the output to it ({@code AiServices} returning a record).
 *
 * <pre>{@code
 * ChatModel model = GemmaChatModel.builder().gemma(gemma).maxOutputTokens(256).build();
 * Assistant assistant = AiServices.create(Assistant.class, model);
 * }</pre>
 */
public final class GemmaChatModel extends GemmaModelBase implements ChatModel {

  private GemmaChatModel(Builder builder) {
    super(builder);
  }

  /** A builder; {@link Builder#gemma(Gemma)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ChatResponse doChat(ChatRequest request) {
    GenerationConfig config = settings.config(request.parameters());
    return ChatMapping.response(settings.gemma().generate(ChatMapping.prompt(request.messages(), ChatMapping.tools(request.parameters())), config), request);
  }

  /** Builds a {@link GemmaChatModel}. */
  public static final class Builder extends GemmaModelBuilder<Builder> {
    private Builder() {}

    /** Builds the model. */
    public GemmaChatModel build() {
      return new GemmaChatModel(this);
    }
  }
}
