package dev.gemma4j.langchain4j;

import dev.gemma4j.ChatMessage;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** LangChain4j's requests and responses in gemma4j's terms, and back. */
final class ChatMapping {
  private ChatMapping() {}

  /** The conversation; text only (Gemma 2 reads text), no tool calls. */
  static Prompt prompt(List<dev.langchain4j.data.message.ChatMessage> messages) {
    List<ChatMessage> turns = new ArrayList<>();
    for (dev.langchain4j.data.message.ChatMessage message : messages) {
      turns.add(switch (message) {
        case SystemMessage system -> ChatMessage.system(system.text());
        case UserMessage user -> ChatMessage.user(userText(user));
        case AiMessage ai -> {
          if (ai.hasToolExecutionRequests()) {
            throw new UnsupportedFeatureException("tool execution requests: Gemma 2 has no tool calling");
          }
          yield ChatMessage.model(ai.text() == null ? "" : ai.text());
        }
        default -> throw new UnsupportedFeatureException(
            message.type() + " messages: a Gemma chat has system, user and AI messages only");
      });
    }
    return Prompt.chat(turns);
  }

  private static String userText(UserMessage user) {
    StringBuilder text = new StringBuilder();
    for (Content content : user.contents()) {
      if (!(content instanceof TextContent t)) {
        throw new UnsupportedFeatureException(content.type() + " content: Gemma 2 reads text only");
      }
      text.append(t.text());
    }
    return text.toString();
  }

  /**
   * The generation config of a request, starting from the model's defaults.
   *
   * @throws UnsupportedFeatureException for tools, a JSON response format, frequency or presence penalties
   */
  static GenerationConfig config(ChatRequestParameters parameters, GenerationConfig defaults, @Nullable Long seed) {
    if (parameters.toolSpecifications() != null && !parameters.toolSpecifications().isEmpty()) {
      throw new UnsupportedFeatureException("tools: Gemma 2 has no tool calling");
    }
    if (parameters.responseFormat() != null && parameters.responseFormat().type() == ResponseFormatType.JSON) {
      throw new UnsupportedFeatureException("a JSON response format: gemma4j has no constrained decoding");
    }
    if (nonZero(parameters.frequencyPenalty()) || nonZero(parameters.presencePenalty())) {
      throw new UnsupportedFeatureException("frequency and presence penalties (gemma4j has a repetition penalty)");
    }
    GenerationConfig.Builder config = defaults.toBuilder();
    if (parameters.topP() != null && parameters.topP() < 1) {
      config.topP(parameters.topP());
    }
    if (parameters.topK() != null && parameters.topK() > 0) {
      config.topK(parameters.topK());
    }
    if (parameters.temperature() != null) {
      if (parameters.temperature() == 0) {
        config.greedy();
      } else {
        config.temperature(parameters.temperature());
      }
    }
    if (parameters.maxOutputTokens() != null) {
      config.maxNewTokens(parameters.maxOutputTokens());
    }
    if (parameters.stopSequences() != null) {
      config.stopStrings(parameters.stopSequences());
    }
    if (seed != null) {
      config.seed(seed);
    }
    return config.build();
  }

  private static boolean nonZero(@Nullable Double value) {
    return value != null && value != 0;
  }

  static ChatResponse response(Generation generation, ChatRequest request) {
    return ChatResponse.builder()
        .aiMessage(AiMessage.from(generation.text()))
        .modelName(request.parameters().modelName())
        .tokenUsage(new TokenUsage(generation.stats().promptTokens(), generation.stats().generatedTokens()))
        .finishReason(finishReason(generation.finishReason()))
        .build();
  }

  static dev.langchain4j.model.output.FinishReason finishReason(FinishReason reason) {
    return switch (reason) {
      case STOP_TOKEN, STOP_STRING -> dev.langchain4j.model.output.FinishReason.STOP;
      case LENGTH -> dev.langchain4j.model.output.FinishReason.LENGTH;
      case CANCELLED, TIMEOUT -> dev.langchain4j.model.output.FinishReason.OTHER;
    };
  }
}
