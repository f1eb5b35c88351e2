package dev.gemma4j.langchain4j;

import dev.gemma4j.ChatMessage;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.tools.Tool;
import dev.gemma4j.tools.ToolCall;
import dev.gemma4j.tools.ToolCalling;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonSchema;
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

  /**
   * The conversation: text, the model's tool calls as the call blocks it writes, and tool results as user
   * turns ({@link ToolCalling}); the tools of {@code tools} described in the system text.
   */
  static Prompt prompt(List<dev.langchain4j.data.message.ChatMessage> messages, List<Tool> tools) {
    List<ChatMessage> turns = new ArrayList<>();
    for (dev.langchain4j.data.message.ChatMessage message : messages) {
      turns.add(switch (message) {
        case SystemMessage system -> ChatMessage.system(system.text());
        case UserMessage user -> ChatMessage.user(userText(user));
        case AiMessage ai -> ChatMessage.model(modelText(ai));
        case ToolExecutionResultMessage result -> ToolCalling.resultTurn(result.toolName(), result.text());
        default -> throw new UnsupportedFeatureException(
            message.type() + " messages: a Gemma chat has system, user, AI and tool result messages");
      });
    }
    turns = ToolCalling.mergeToolResults(turns);
    return Prompt.chat(tools.isEmpty() ? turns : ToolCalling.withTools(turns, tools));
  }

  private static String modelText(AiMessage ai) {
    String text = ai.text() == null ? "" : ai.text();
    if (!ai.hasToolExecutionRequests()) {
      return text;
    }
    List<ToolCall> calls = ai.toolExecutionRequests().stream()
        .map(r -> new ToolCall(r.id() == null ? ToolCalling.newCallId() : r.id(), r.name(), r.arguments())).toList();
    return ToolCalling.modelTurnText(text, calls);
  }

  /** The request's tools in gemma4j's terms; empty when it has none or its tool choice is NONE. */
  static List<Tool> tools(ChatRequestParameters parameters) {
    List<ToolSpecification> specifications = parameters.toolSpecifications();
    if (specifications == null || specifications.isEmpty() || parameters.toolChoice() == ToolChoice.NONE) {
      return List.of();
    }
    List<Tool> tools = new ArrayList<>();
    for (ToolSpecification spec : specifications) {
      String schema = spec.parameters() == null ? "{\"type\": \"object\", \"properties\": {}}"
          : json(JsonSchemaElementUtils.toMap(spec.parameters(), false));
      tools.add(new Tool(spec.name(), spec.description() == null ? "" : spec.description(), schema));
    }
    return tools;
  }

  private static String json(Object value) {
    return new com.google.gson.Gson().toJson(value);
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
   * The generation config of a request, starting from the model's defaults: tools become a tool-call
   * format, a JSON response format the schema it carries (any JSON object without one).
   *
   * @throws UnsupportedFeatureException for frequency or presence penalties
   */
  static GenerationConfig config(ChatRequestParameters parameters, GenerationConfig defaults, @Nullable Long seed) {
    if (nonZero(parameters.frequencyPenalty()) || nonZero(parameters.presencePenalty())) {
      throw new UnsupportedFeatureException("frequency and presence penalties (gemma4j has a repetition penalty)");
    }
    GenerationConfig.Builder config = defaults.toBuilder();
    config.responseFormat(responseFormat(parameters));
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

  private static dev.gemma4j.ResponseFormat responseFormat(ChatRequestParameters parameters) {
    List<Tool> tools = tools(parameters);
    if (!tools.isEmpty()) {
      dev.gemma4j.tools.ToolChoice choice = parameters.toolChoice() == ToolChoice.REQUIRED
          ? dev.gemma4j.tools.ToolChoice.required() : dev.gemma4j.tools.ToolChoice.auto();
      return dev.gemma4j.ResponseFormat.toolCalls(tools, choice);
    }
    ResponseFormat format = parameters.responseFormat();
    if (format == null || format.type() != ResponseFormatType.JSON) {
      return dev.gemma4j.ResponseFormat.text();
    }
    JsonSchema schema = format.jsonSchema();
    if (schema == null || schema.rootElement() == null) {
      return dev.gemma4j.ResponseFormat.jsonObject();
    }
    return dev.gemma4j.ResponseFormat.jsonSchema(json(JsonSchemaElementUtils.toMap(schema.rootElement(), false)));
  }

  private static boolean nonZero(@Nullable Double value) {
    return value != null && value != 0;
  }

  /** The response: the text, or the tool calls in it when the request offered tools. */
  static ChatResponse response(Generation generation, ChatRequest request) {
    AiMessage message = AiMessage.from(generation.text());
    dev.langchain4j.model.output.FinishReason finish = finishReason(generation.finishReason());
    if (!tools(request.parameters()).isEmpty()) {
      ToolCalling.Parsed parsed = ToolCalling.parse(generation.text());
      if (!parsed.calls().isEmpty()) {
        List<ToolExecutionRequest> requests = parsed.calls().stream().map(call -> ToolExecutionRequest.builder()
            .id(call.id()).name(call.name()).arguments(call.arguments()).build()).toList();
        message = parsed.content() == null ? AiMessage.from(requests) : AiMessage.from(parsed.content(), requests);
        finish = dev.langchain4j.model.output.FinishReason.TOOL_EXECUTION;
      }
    }
    return ChatResponse.builder()
        .aiMessage(message)
        .modelName(request.parameters().modelName())
        .tokenUsage(new TokenUsage(generation.stats().promptTokens(), generation.stats().generatedTokens()))
        .finishReason(finish)
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
