package dev.gemma4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ToolChoiceOptions;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/responses} through the OpenAI Java SDK (response validation on): text whole and streamed
 * equal the chat endpoint's reference text, function calls, JSON-schema text formats, the incomplete status
 * and the stateless limits.
 */
class ResponsesApiTest {
  static final String MODEL = OpenAiConformanceTest.MODEL;
  static final ReferenceGoldens GOLDEN = ReferenceGoldens.load();
  static BundledServer served;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    served = BundledServer.start();
    client = served.client;
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  static ResponseCreateParams.Builder request(long maxTokens) {
    return ResponseCreateParams.builder().model(MODEL).input(GOLDEN.prompt()).maxOutputTokens(maxTokens).temperature(0.0);
  }

  @Test
  void textWholeAndStreamedIsTheReference() {
    int words = GOLDEN.chatText().length();
    Response response = client.responses().create(request(200).build());
    String text = response.output().getFirst().asMessage().content().getFirst().asOutputText().text();
    assertTrue(GOLDEN.chatText().startsWith(text) || text.startsWith(GOLDEN.chatText()), text);
    assertTrue(words > 0);
    assertEquals(response.usage().orElseThrow().inputTokens(), GOLDEN.chatPromptTokens());
    StringBuilder streamed = new StringBuilder();
    List<String> types = new ArrayList<>();
    try (var stream = client.responses().createStreaming(request(200).build())) {
      stream.stream().forEach(event -> {
        event.outputTextDelta().ifPresent(d -> streamed.append(d.delta()));
        types.add(type(event));
      });
    }
    assertEquals(text, streamed.toString());
    assertEquals("response.created", types.getFirst());
    assertTrue(types.getLast().equals("response.completed") || types.getLast().equals("response.incomplete"), types.toString());
  }

  @Test
  void aCutResponseIsIncomplete() {
    Response response = client.responses().create(request(3).build());
    assertEquals("incomplete", response.status().orElseThrow().asString());
    assertEquals("max_output_tokens", response.incompleteDetails().orElseThrow().reason().orElseThrow().asString());
  }

  @Test
  void requiredFunctionCallsWholeAndStreamed() {
    var params = ResponseCreateParams.builder().model(MODEL).input("Weather in Oslo?").maxOutputTokens(400)
        .temperature(1.0).addTool(FunctionTool.builder().name("get_weather").strict(true)
            .parameters(FunctionTool.Parameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("days", Map.of("type", "integer",
                    "minimum", 1, "maximum", 7))))
                .putAdditionalProperty("required", JsonValue.from(List.of("days")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false)).build()).build())
        .toolChoice(ToolChoiceOptions.REQUIRED).build();
    Response response = client.responses().create(params);
    List<ResponseOutputItem> calls = response.output().stream().filter(ResponseOutputItem::isFunctionCall).toList();
    assertFalse(calls.isEmpty(), response.toString());
    var call = calls.getFirst().asFunctionCall();
    assertEquals("get_weather", call.name());
    StructuredOutputConformanceTest.assertValid("{\"type\": \"object\", \"properties\": {\"days\": {\"type\": \"integer\","
        + " \"minimum\": 1, \"maximum\": 7}}, \"required\": [\"days\"], \"additionalProperties\": false}", call.arguments());
    List<String> arguments = new ArrayList<>();
    try (var stream = client.responses().createStreaming(params)) {
      stream.stream().forEach(event -> event.functionCallArgumentsDone().ifPresent(d -> arguments.add(d.arguments())));
    }
    assertFalse(arguments.isEmpty());
  }

  @Test
  void historyWithCallsAndOutputsAndAJsonSchemaFormat() throws Exception {
    String body = """
        {"model": "%s", "max_output_tokens": 200, "temperature": 1.0, "instructions": "Be brief.",
         "input": [{"role": "user", "content": "Weather?"},
           {"type": "function_call", "call_id": "call_1", "name": "w", "arguments": "{}"},
           {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
           {"role": "user", "content": [{"type": "input_text", "text": "So?"}]}],
         "text": {"format": {"type": "json_schema", "name": "a", "schema": {"enum": ["hot", "cold"]}}}}"""
        .formatted(MODEL);
    HttpResponse<String> response = post("/v1/responses", body);
    assertEquals(200, response.statusCode(), response.body());
    String text = com.google.gson.JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("output")
        .get(0).getAsJsonObject().getAsJsonArray("content").get(0).getAsJsonObject().get("text").getAsString();
    assertTrue(List.of("\"hot\"", "\"cold\"").contains(text.strip()), text);
  }

  @Test
  void statefulFeaturesAreRefusedByName() throws Exception {
    HttpResponse<String> response = post("/v1/responses",
        "{\"model\": \"" + MODEL + "\", \"input\": \"hi\", \"previous_response_id\": \"resp_1\"}");
    assertEquals(400, response.statusCode());
    assertTrue(response.body().contains("previous_response_id"), response.body());
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return served.post(path, body);
  }

  private static String type(ResponseStreamEvent event) {
    return event.completed().isPresent() ? "response.completed" : event.created().isPresent() ? "response.created"
        : event.incomplete().isPresent() ? "response.incomplete" : "other";
  }
}
