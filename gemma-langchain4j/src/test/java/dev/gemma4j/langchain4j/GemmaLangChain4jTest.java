package dev.gemma4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.server.GemmaServer;
import dev.gemma4j.server.ServerOptions;
import dev.gemma4j.testkit.BundledModel;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's AiServices on the bundled model, in process and through the remote engine over gemma
 * serve; the answers are Hugging Face transformers' goldens for the chat template.
 */
class GemmaLangChain4jTest {
  static Gemma local;
  static GemmaServer server;
  static Gemma remote;
  static String prompt;
  static String chatText;
  static int chatPromptTokens;
  static int promptTextTokens;

  interface Assistant {
    String chat(String message);
  }

  interface StreamingAssistant {
    TokenStream chat(String message);
  }

  @BeforeAll
  static void open() throws Exception {
    JsonArray cases = JsonParser.parseString(Files.readString(
        Path.of(System.getProperty("gemma.fixtures"), "tiny-gemma2-tok", "golden.json"))).getAsJsonObject()
        .getAsJsonArray("cases");
    JsonObject plain = cases.get(0).getAsJsonObject();
    prompt = plain.get("prompt").getAsString();
    promptTextTokens = plain.getAsJsonArray("input_ids").size() - 1;
    for (var c : cases) {
      if (c.getAsJsonObject().get("prompt").getAsString().equals(
          "<start_of_turn>user\n" + prompt + "<end_of_turn>\n<start_of_turn>model\n")) {
        chatText = c.getAsJsonObject().get("generated_text").getAsString();
        chatPromptTokens = c.getAsJsonObject().getAsJsonArray("input_ids").size();
      }
    }
    local = Gemma.open(BundledModel.path(), GemmaOptions.builder().backend("cpu").build());
    server = GemmaServer.start(local, ServerOptions.builder().port(0).servedModelName("tiny").build());
    remote = Gemma.open("tiny", GemmaOptions.builder().endpoint(server.baseUri()).build());
  }

  @AfterAll
  static void close() {
    remote.close();
    server.close();
    local.close();
  }

  @Test
  void aiServicesAnswerAsTheReferenceInProcessAndRemotely() {
    for (Gemma gemma : List.of(local, remote)) {
      ChatModel model = GemmaChatModel.builder().gemma(gemma).temperature(0.0).maxOutputTokens(20).build();
      Assistant assistant = AiServices.create(Assistant.class, model);
      assertEquals(chatText, assistant.chat(prompt), gemma.backendName());
    }
  }

  @Test
  void streamingAiServicesGiveTheSameText() throws Exception {
    for (Gemma gemma : List.of(local, remote)) {
      StreamingChatModel model = GemmaStreamingChatModel.builder().gemma(gemma).maxOutputTokens(20).build();
      StreamingAssistant assistant = AiServices.create(StreamingAssistant.class, model);
      StringBuilder partial = new StringBuilder();
      CompletableFuture<ChatResponse> done = new CompletableFuture<>();
      assistant.chat(prompt).onPartialResponse(partial::append).onCompleteResponse(done::complete)
          .onError(done::completeExceptionally).start();
      ChatResponse response = done.get(60, TimeUnit.SECONDS);
      assertEquals(chatText, partial.toString());
      assertEquals(chatText, response.aiMessage().text());
      assertEquals(FinishReason.LENGTH, response.finishReason());
      assertEquals(chatPromptTokens, response.tokenUsage().inputTokenCount());
      assertEquals(20, response.tokenUsage().outputTokenCount());
    }
  }

  @Test
  void theStreamingHandleCancelsTheGeneration() throws Exception {
    StreamingChatModel model = GemmaStreamingChatModel.builder().gemma(local).maxOutputTokens(4000).build();
    List<String> parts = new CopyOnWriteArrayList<>();
    CompletableFuture<Object> ended = new CompletableFuture<>();
    model.chat(ChatRequest.builder().messages(UserMessage.from("go on")).build(), new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(PartialResponse response, PartialResponseContext context) {
        parts.add(response.text());
        if (parts.size() == 3) {
          context.streamingHandle().cancel();
        }
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        ended.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        ended.complete(error);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((parts.size() < 3 || local.engineStats().running() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, local.engineStats().running(), "the generation stopped");
    assertEquals(3, parts.size(), "no text after the cancel");
    Thread.sleep(100);
    assertFalse(ended.isDone(), "no callback after the cancel");
  }

  @Test
  void tokenCountsAreTheModelsAfterTheChatTemplate() {
    GemmaTokenCountEstimator estimator = new GemmaTokenCountEstimator(local);
    assertEquals(chatPromptTokens, estimator.estimateTokenCountInMessages(List.of(UserMessage.from(prompt))));
    assertEquals(chatPromptTokens, estimator.estimateTokenCountInMessage(UserMessage.from(prompt)));
    assertEquals(promptTextTokens, estimator.estimateTokenCountInText(prompt));
    int withSystem = estimator.estimateTokenCountInMessages(List.of(SystemMessage.from("Be brief."), UserMessage.from(prompt)));
    assertTrue(withSystem > chatPromptTokens);
    var noTokenizer = assertThrows(dev.gemma4j.GemmaException.class, () -> new GemmaTokenCountEstimator(remote));
    assertTrue(noTokenizer.getMessage().contains("no tokenizer"), noTokenizer.getMessage());
  }

  @Test
  void whatGemmaCannotDoIsUnsupported() {
    ChatModel model = GemmaChatModel.builder().gemma(local).maxOutputTokens(5).build();
    assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
        .messages(UserMessage.from(ImageContent.from("http://example.com/cat.png"))).build()));
    assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
        .messages(UserMessage.from("hi")).frequencyPenalty(0.5).build()));
  }

  enum Sky { CLEAR, CLOUDY, RAIN }

  record Forecast(Sky sky, int temperature, boolean windy, List<Sky> nextDays) {}

  interface Forecaster {
    Forecast forecast(String city);
  }

  /**
   * AiServices returning a record: the model declares JSON-schema support, so LangChain4j sends the record's
   * schema and parses the answer; on the random-weight model only the constraint makes that parse succeed.
   */
  @Test
  void aiServicesReturnRecordsInProcessAndRemotely() {
    for (Gemma gemma : List.of(local, remote)) {
      for (long seed = 1; seed <= 4; seed++) {
        ChatModel model = GemmaChatModel.builder().gemma(gemma).temperature(1.0).seed(seed).maxOutputTokens(400).build();
        assertTrue(model.supportedCapabilities().contains(dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA));
        // LangChain4j leaves a record's fields optional, so "{}" is a valid answer; it must parse.
        Forecast forecast = AiServices.create(Forecaster.class, model).forecast("Oslo");
        assertTrue(forecast != null, gemma.backendName());
      }
    }
  }

  /** Tools that AiServices calls: the arguments arrive typed, because the call was constrained to their schema. */
  static final class Thermometer {
    final List<String> calls = new CopyOnWriteArrayList<>();

    // IMMEDIATE: AiServices returns after the call. With REQUIRED, a second model call would call again, and
    // LangChain4j 1.19 keeps REQUIRED for it (langchain4j#3481).
    @dev.langchain4j.agent.tool.Tool(value = "The temperature of a city in degrees, over the coming days",
        returnBehavior = dev.langchain4j.agent.tool.ReturnBehavior.IMMEDIATE)
    String temperature(@dev.langchain4j.agent.tool.P(name = "sky", value = "the sky") Sky sky,
        @dev.langchain4j.agent.tool.P(name = "days", value = "days ahead") int days) {
      calls.add(sky + "/" + days);
      return "21";
    }
  }

  interface ToolAssistant {
    dev.langchain4j.service.Result<String> chat(String message);
  }

  @Test
  void aiServicesCallToolsInProcessAndRemotely() {
    for (Gemma gemma : List.of(local, remote)) {
      Thermometer thermometer = new Thermometer();
      ChatModel model = GemmaChatModel.builder().gemma(gemma).temperature(1.0).seed(5L).maxOutputTokens(400)
          .toolChoice(dev.langchain4j.model.chat.request.ToolChoice.REQUIRED).build();
      ToolAssistant assistant = AiServices.builder(ToolAssistant.class).chatModel(model).tools(thermometer).build();
      var result = assistant.chat("How warm will it be?");
      assertFalse(thermometer.calls.isEmpty(), "the tool was called on " + gemma.backendName());
      assertEquals("21", result.toolExecutions().getFirst().result(), gemma.backendName());
    }
  }

  @Test
  void toolExecutionRequestsAndResultsRoundTrip() {
    ChatModel model = GemmaChatModel.builder().gemma(local).temperature(1.0).seed(3L).maxOutputTokens(200).build();
    ToolSpecification weather = ToolSpecification.builder().name("weather").description("the weather")
        .parameters(dev.langchain4j.model.chat.request.json.JsonObjectSchema.builder()
            .addIntegerProperty("days").addEnumProperty("unit", List.of("C", "F")).required("days", "unit").build())
        .build();
    ChatResponse call = model.chat(ChatRequest.builder().messages(UserMessage.from("weather?")).toolSpecifications(weather)
        .toolChoice(dev.langchain4j.model.chat.request.ToolChoice.REQUIRED).build());
    assertEquals(FinishReason.TOOL_EXECUTION, call.finishReason());
    var request = call.aiMessage().toolExecutionRequests().getFirst();
    assertEquals("weather", request.name());
    JsonObject arguments = JsonParser.parseString(request.arguments()).getAsJsonObject();
    assertTrue(arguments.get("days").getAsJsonPrimitive().isNumber() && List.of("C", "F").contains(arguments.get("unit").getAsString()),
        request.arguments());
    ChatResponse answer = model.chat(ChatRequest.builder().messages(UserMessage.from("weather?"), call.aiMessage(),
        dev.langchain4j.data.message.ToolExecutionResultMessage.from(request, "sunny")).toolSpecifications(weather)
        .toolChoice(dev.langchain4j.model.chat.request.ToolChoice.NONE).maxOutputTokens(5).build());
    assertEquals(FinishReason.LENGTH, answer.finishReason());
  }

  @Test
  void parametersAndListenersApply() {
    List<String> seen = new CopyOnWriteArrayList<>();
    ChatModelListener listener = new ChatModelListener() {
      @Override
      public void onRequest(ChatModelRequestContext context) {
        seen.add("request " + context.chatRequest().parameters().maxOutputTokens());
      }

      @Override
      public void onResponse(ChatModelResponseContext context) {
        seen.add("response " + context.chatResponse().tokenUsage().outputTokenCount());
      }
    };
    ChatModel model = GemmaChatModel.builder().gemma(local).maxOutputTokens(20).temperature(0.0)
        .listeners(List.of(listener)).build();
    ChatResponse stopped = model.chat(ChatRequest.builder().messages(UserMessage.from(prompt))
        .maxOutputTokens(7).build());
    assertEquals(7, stopped.tokenUsage().outputTokenCount());
    assertEquals(List.of("request 7", "response 7"), seen);
    String stop = chatText.substring(10, 14);
    ChatResponse cut = model.chat(ChatRequest.builder().messages(UserMessage.from(prompt)).stopSequences(List.of(stop)).build());
    assertEquals(chatText.substring(0, chatText.indexOf(stop)), cut.aiMessage().text());
    assertEquals(FinishReason.STOP, cut.finishReason());
    var sampled = GemmaChatModel.builder().gemma(local).temperature(0.9).topK(40).topP(0.95).seed(3L)
        .maxOutputTokens(10).build();
    assertEquals(sampled.chat(prompt), sampled.chat(prompt), "a seed makes sampling repeatable");
    assertInstanceOf(AiMessage.class, model.chat(UserMessage.from("hi")).aiMessage());
  }
}
