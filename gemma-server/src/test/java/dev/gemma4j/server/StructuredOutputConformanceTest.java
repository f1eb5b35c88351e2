package dev.gemma4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.StructuredChatCompletion;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured outputs and tool calls through clients nobody here wrote: the OpenAI Java SDK
 * ({@code responseFormat(Class)}, JSON-schema response formats, function tools, streamed and not) and
 * vLLM's and llama-server's request fields over plain HTTP. The bundled model has random weights, so only
 * the constraint makes an output valid: every response must parse and validate (networknt) for every seed.
 */
class StructuredOutputConformanceTest {
  static final String MODEL = OpenAiConformanceTest.MODEL;
  static BundledServer served;
  static OpenAIClient client;

  enum Sky { CLEAR, CLOUDY, RAIN, SNOW }

  /** A report the SDK turns into a JSON schema (enums, integers, booleans, nesting, a list). */
  public static class Report {
    public Sky sky;
    public int temperature;
    public boolean windy;
    public List<Sky> lastDays;
    public Wind wind;
  }

  public static class Wind {
    public Sky direction;
    public int speed;
  }

  static final String WEATHER_PARAMETERS = """
      {"type": "object", "properties": {
        "city": {"type": "string", "maxLength": 12},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "unit": {"enum": ["celsius", "fahrenheit"]}},
       "required": ["city", "days"], "additionalProperties": false}""";

  @BeforeAll
  static void start() {
    served = BundledServer.start();
    client = served.client;
  }

  @AfterAll
  static void stop() {
    served.close();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void sdkStructuredOutputsParseIntoTheClass(long seed) {
    var params = ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Weather report, please.")
        .maxCompletionTokens(800).temperature(1.0).seed(seed).responseFormat(Report.class).build();
    StructuredChatCompletion<Report> completion = client.chat().completions().create(params);
    var choice = completion.choices().getFirst();
    assertEquals("stop", choice.finishReason().asString());
    Report report = choice.message().content().orElseThrow(); // the SDK parsed it into the class
    assertTrue(report.sky != null && report.wind != null && report.wind.direction != null && report.lastDays != null);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void jsonSchemaResponseFormatStreamedAndNot(boolean streamed) {
    String schemaText = """
        {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8},
          "score": {"type": "number", "minimum": 0, "maximum": 10}, "tags": {"type": "array", "maxItems": 3,
          "items": {"enum": ["new", "old"]}}}, "required": ["name", "score", "tags"], "additionalProperties": false}""";
    Map<String, Object> schema = new com.google.gson.Gson().fromJson(schemaText, Map.class);
    var schemaParam = ResponseFormatJsonSchema.JsonSchema.Schema.builder();
    schema.forEach((k, v) -> schemaParam.putAdditionalProperty(k, JsonValue.from(v)));
    for (long seed = 1; seed <= 4; seed++) {
      var params = ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Rate it.").maxCompletionTokens(400)
          .temperature(1.0).seed(seed).responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(
              ResponseFormatJsonSchema.JsonSchema.builder().name("rating").strict(true).schema(schemaParam.build())
                  .build()).build()).build();
      String text;
      if (streamed) {
        StringBuilder out = new StringBuilder();
        try (var stream = client.chat().completions().createStreaming(params)) {
          stream.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(out::append)));
        }
        text = out.toString();
      } else {
        text = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
      }
      assertValid(schemaText, text);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void requiredToolCallsHaveArgumentsTheSchemaAccepts(long seed) {
    ChatCompletion completion = client.chat().completions().create(toolRequest(seed)
        .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
    var choice = completion.choices().getFirst();
    assertEquals("tool_calls", choice.finishReason().asString());
    List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
    assertFalse(calls.isEmpty());
    for (ChatCompletionMessageToolCall call : calls) {
      var function = call.asFunction();
      assertTrue(function.id().matches("call_[A-Za-z0-9]{24}"), function.id());
      assertTrue(List.of("get_weather", "get_time").contains(function.function().name()));
      if (function.function().name().equals("get_weather")) {
        assertValid(WEATHER_PARAMETERS, function.function().arguments());
      } else {
        assertValid("{\"type\": \"object\", \"properties\": {}, \"additionalProperties\": false}",
            function.function().arguments());
      }
    }
  }

  @Test
  void aNamedFunctionIsCalledAndStreamedAsDeltaToolCalls() {
    var params = toolRequest(7).toolChoice(ChatCompletionToolChoiceOption.ofNamedToolChoice(
        com.openai.models.chat.completions.ChatCompletionNamedToolChoice.builder().function(
            com.openai.models.chat.completions.ChatCompletionNamedToolChoice.Function.builder().name("get_weather")
                .build()).build())).parallelToolCalls(false).build();
    List<String> names = new ArrayList<>();
    List<String> arguments = new ArrayList<>();
    List<String> finish = new ArrayList<>();
    try (var stream = client.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunk -> chunk.choices().forEach(c -> {
        c.delta().toolCalls().ifPresent(calls -> calls.forEach(call -> {
          call.function().flatMap(f -> f.name()).ifPresent(names::add);
          call.function().flatMap(f -> f.arguments()).ifPresent(arguments::add);
        }));
        c.finishReason().ifPresent(r -> finish.add(r.asString()));
      }));
    }
    assertEquals(List.of("get_weather"), names, "one call (parallel_tool_calls false) of the named function");
    assertValid(WEATHER_PARAMETERS, String.join("", arguments));
    assertEquals(List.of("tool_calls"), finish);
  }

  @Test
  void toolResultsInTheHistoryGoThroughTheTemplate() throws Exception {
    String body = """
        {"model": "%s", "max_tokens": 5, "tools": [%s], "messages": [
          {"role": "user", "content": "Weather in Oslo?"},
          {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\", \\"days\\": 1}"}}]},
          {"role": "tool", "tool_call_id": "call_1", "content": "{\\"sky\\": \\"clear\\"}"},
          {"role": "user", "content": "Thanks. And tomorrow?"}]}""".formatted(MODEL, weatherToolJson());
    HttpResponse<String> response = post("/v1/chat/completions", body);
    assertEquals(200, response.statusCode(), response.body());
    HttpResponse<String> tokenized = post("/tokenize", body.replace("\"max_tokens\": 5, ", ""));
    assertEquals(200, tokenized.statusCode(), tokenized.body());
  }

  @Test
  void vllmAndLlamaServerFields() throws Exception {
    String base = "{\"model\": \"" + MODEL + "\", \"max_tokens\": 60, \"temperature\": 1.0, \"seed\": 3,"
        + " \"messages\": [{\"role\": \"user\", \"content\": \"Answer.\"}], ";
    assertEquals("maybe", content(base + "\"structured_outputs\": {\"choice\": [\"maybe\"]}}"));
    assertTrue(List.of("yes", "no").contains(content(base + "\"guided_choice\": [\"yes\", \"no\"]}")));
    assertTrue(Pattern.matches("[a-z]{3}-\\d{2}", content(base + "\"guided_regex\": \"[a-z]{3}-\\\\d{2}\"}")));
    assertTrue(Pattern.matches("\\d{4}", content(base + "\"structured_outputs\": {\"regex\": \"\\\\d{4}\"}}")));
    String enumSchema = "{\"enum\": [\"red\", \"green\"]}";
    for (String field : List.of("\"guided_json\": " + enumSchema, "\"json_schema\": " + enumSchema,
        "\"structured_outputs\": {\"json\": " + enumSchema + "}",
        "\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"c\", \"schema\": " + enumSchema + "}}")) {
      assertValid(enumSchema, content(base + field + "}"));
    }
    String object = content(base.replace("\"max_tokens\": 60", "\"max_tokens\": 400")
        + "\"response_format\": {\"type\": \"json_object\"}}");
    assertTrue(object.isEmpty() || JsonParser.parseString(object).isJsonObject(), object);
  }

  @Test
  void whatCannotBeHonouredIsA400NamingIt() throws Exception {
    String base = "{\"model\": \"" + MODEL + "\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], ";
    assertError(base + "\"grammar\": \"root ::= \\\"a\\\"\"}", "grammar");
    assertError(base + "\"guided_json\": {\"type\": \"array\", \"uniqueItems\": true}}", "uniqueItems");
    assertError(base + "\"guided_regex\": \"(a)\\\\1\"}", "backreference");
    assertError(base + "\"guided_choice\": [\"a\"], \"guided_regex\": \"a\"}", "several ways");
    assertError(base + "\"tools\": [" + weatherToolJson() + "], \"tool_choice\": {\"type\": \"function\","
        + " \"function\": {\"name\": \"nope\"}}}", "nope");
    assertError(base + "\"tools\": [" + weatherToolJson() + "], \"response_format\": {\"type\": \"json_object\"}}",
        "either tool calls");
  }

  private static void assertError(String body, String expected) throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", body);
    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains(expected), response.body());
  }

  private static String content(String body) throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", body);
    assertEquals(200, response.statusCode(), response.body());
    return JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
        .getAsJsonObject().getAsJsonObject("message").get("content").getAsString();
  }

  private static String weatherToolJson() {
    return "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"The forecast\","
        + " \"parameters\": " + WEATHER_PARAMETERS + "}}";
  }

  private static ChatCompletionCreateParams.Builder toolRequest(long seed) {
    FunctionParameters.Builder parameters = FunctionParameters.builder();
    JsonObject schema = JsonParser.parseString(WEATHER_PARAMETERS).getAsJsonObject();
    for (String key : schema.keySet()) {
      parameters.putAdditionalProperty(key, JsonValue.from(new com.google.gson.Gson().fromJson(schema.get(key), Object.class)));
    }
    return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("What is the weather in Oslo?")
        .maxCompletionTokens(600).temperature(1.0).seed(seed)
        .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
            .description("The forecast for a city").parameters(parameters.build()).build()).build())
        .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_time")
            .description("The time now").parameters(FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of()))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false)).build()).build()).build());
  }

  static void assertValid(String schema, String text) {
    var errors = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema)
        .validate(text, com.networknt.schema.InputFormat.JSON);
    assertTrue(errors.isEmpty(), () -> text + " does not match the schema: " + errors);
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return served.post(path, body);
  }
}
