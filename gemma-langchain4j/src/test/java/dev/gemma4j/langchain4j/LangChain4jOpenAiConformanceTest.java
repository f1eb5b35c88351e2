package dev.gemma4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.server.GemmaServer;
import dev.gemma4j.server.ServerOptions;
import dev.gemma4j.testkit.BundledModel;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's own OpenAI module against gemma serve, as a team that points it at a local server would use
 * it: AiServices returning a record (strict JSON schema) and calling an {@code @Tool}, on the bundled
 * random-weight model, where only the constraint makes the answers parse.
 */
class LangChain4jOpenAiConformanceTest {
  static Gemma gemma;
  static GemmaServer server;

  @BeforeAll
  static void start() {
    gemma = Gemma.open(BundledModel.path(), GemmaOptions.builder().backend("cpu").build());
    server = GemmaServer.start(gemma, ServerOptions.builder().port(0).servedModelName("tiny").build());
  }

  @AfterAll
  static void stop() {
    server.close();
    gemma.close();
  }

  static OpenAiChatModel.OpenAiChatModelBuilder openAi(long seed) {
    return OpenAiChatModel.builder().baseUrl(server.baseUri().toString()).apiKey("unused").modelName("tiny")
        .temperature(1.0).seed((int) seed).maxTokens(400).maxRetries(0);
  }

  @Test
  void aiServicesReturnRecords() {
    for (long seed = 1; seed <= 4; seed++) {
      OpenAiChatModel model = openAi(seed).supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA)
          .strictJsonSchema(true).build();
      var forecast = AiServices.create(GemmaLangChain4jTest.Forecaster.class, model).forecast("Oslo");
      assertNotNull(forecast);
    }
  }

  @Test
  void aiServicesCallTools() {
    var thermometer = new GemmaLangChain4jTest.Thermometer();
    OpenAiChatModel model = openAi(9).defaultRequestParameters(
        ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).build()).build();
    var assistant = AiServices.builder(GemmaLangChain4jTest.ToolAssistant.class).chatModel(model).tools(thermometer).build();
    var result = assistant.chat("How warm will it be?");
    assertFalse(thermometer.calls.isEmpty());
    assertEquals("21", result.toolExecutions().getFirst().result());
  }
}
