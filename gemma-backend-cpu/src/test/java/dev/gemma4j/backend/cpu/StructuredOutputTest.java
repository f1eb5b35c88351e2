package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.gemma4j.ChatMessage;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.tools.Tool;
import dev.gemma4j.tools.ToolCalling;
import dev.gemma4j.tools.ToolChoice;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Constrained decoding end to end on the bundled random-weight model with Gemma's real vocabulary: its
 * logits carry no notion of JSON, so only the constraint makes the output valid, and every output must
 * parse and validate (networknt's validator, not our grammar) whatever the seed.
 */
class StructuredOutputTest {
  static final String SCHEMA = """
      {"type": "object",
       "properties": {
         "city": {"type": "string", "maxLength": 10},
         "population": {"type": "integer", "minimum": 0, "maximum": 40000000},
         "capital": {"type": "boolean"},
         "rivers": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 2},
         "country": {"enum": ["France", "Japan", "Peru"]},
         "coordinates": {"type": "object", "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
           "lon": {"type": "number", "minimum": -180, "maximum": 180}}, "required": ["lat", "lon"]}
       },
       "required": ["city", "population", "country"],
       "additionalProperties": false}
      """;
  static Gemma gemma;

  @BeforeAll
  static void open() {
    gemma = Gemma.open(Golden.load("tiny-gemma2-tok").folder(), GenerationGoldenTest.cpu());
  }

  @AfterAll
  static void close() {
    gemma.close();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void everySampledOutputValidatesAgainstTheSchema(long seed) {
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(600).temperature(1.0).seed(seed)
        .responseFormat(ResponseFormat.jsonSchema(SCHEMA)).build();
    Generation g = gemma.chat(List.of(ChatMessage.user("Describe a city as JSON.")), config);
    assertEquals(FinishReason.STOP_TOKEN, g.finishReason(), "a bounded schema ends: " + g.text());
    assertValid(SCHEMA, g.text());
  }

  @Test
  void theValidatorRejectsWhatTheSchemaRejects() {
    assertThrows(org.opentest4j.AssertionFailedError.class, () -> assertValid(SCHEMA, "{\"city\": \"Lima\"}"));
    assertThrows(org.opentest4j.AssertionFailedError.class,
        () -> assertValid(SCHEMA, "{\"city\": \"Lima\", \"population\": -1, \"country\": \"Peru\"}"));
  }

  @Test
  void greedyOutputValidatesToo() {
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(600)
        .responseFormat(ResponseFormat.jsonSchema(SCHEMA)).build();
    Generation g = gemma.chat(List.of(ChatMessage.user("Describe a city as JSON.")), config);
    assertValid(SCHEMA, g.text());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void regexAndChoice(long seed) {
    GenerationConfig.Builder config = GenerationConfig.builder().maxNewTokens(100).temperature(1.0).seed(seed);
    String pattern = "[A-Z][a-z]{2,8} \\d{3}-\\d{4}";
    Generation phone = gemma.generate(dev.gemma4j.Prompt.text("Call"), config.responseFormat(ResponseFormat.regex(pattern)).build());
    assertTrue(Pattern.matches(pattern, phone.text()), phone.text());
    Generation answer = gemma.generate(dev.gemma4j.Prompt.text("Answer:"),
        config.responseFormat(ResponseFormat.choice(List.of("yes", "no", "it depends"))).build());
    assertTrue(List.of("yes", "no", "it depends").contains(answer.text()), answer.text());
  }

  /**
   * With the tool choice left to the model, text is free until the model writes the call opening; from there
   * the grammar holds. A sampler scripts the opening (a random model would rarely write it), then takes the
   * most likely allowed token, so the call is the random model's under the grammar.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void anAutoToolCallIsConstrainedFromItsOpening(boolean withText) {
    var tokenizer = gemma.tokenizer().orElseThrow();
    int[] script = tokenizer.encode((withText ? "Checking." : "") + ToolCalling.CALL_OPENING, false);
    List<Tool> tools = List.of(new Tool("get_weather", "forecast",
        "{\"type\": \"object\", \"properties\": {\"days\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 7}},"
            + " \"required\": [\"days\"], \"additionalProperties\": false}"));
    java.util.concurrent.atomic.AtomicInteger at = new java.util.concurrent.atomic.AtomicInteger();
    dev.gemma4j.spi.Sampler scripted = (logits, history) -> {
      if (at.get() < script.length) {
        return script[at.getAndIncrement()];
      }
      int best = 0;
      for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    };
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(300).sampler(scripted)
        .responseFormat(ResponseFormat.toolCalls(tools, ToolChoice.auto())).build();
    Generation g = gemma.chat(ToolCalling.withTools(List.of(ChatMessage.user("Weather in Oslo?")), tools), config);
    ToolCalling.Parsed parsed = ToolCalling.parse(g.text());
    assertEquals(1, parsed.calls().size(), g.text());
    assertEquals(withText ? "Checking." : null, parsed.content());
    assertEquals("get_weather", parsed.calls().getFirst().name());
    assertValid(tools.getFirst().parametersSchema(), parsed.calls().getFirst().arguments());
  }

  @Test
  void anUnsupportedKeywordFailsTheSubmissionNamingIt() {
    GenerationConfig config = GenerationConfig.builder()
        .responseFormat(ResponseFormat.jsonSchema("{\"type\": \"array\", \"uniqueItems\": true}")).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> gemma.generate(dev.gemma4j.Prompt.text("x"), config));
    assertTrue(e.getMessage().contains("uniqueItems"), e.getMessage());
  }

  @Test
  void ignoreEosIsRefusedWithAFormat() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GenerationConfig.builder().ignoreEos(true).responseFormat(ResponseFormat.jsonObject()).build());
    assertTrue(e.getMessage().contains("ignoreEos"), e.getMessage());
  }

  static void assertValid(String schema, String text) {
    Schema validator = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
    List<Error> errors = validator.validate(text, com.networknt.schema.InputFormat.JSON);
    assertTrue(errors.isEmpty(), () -> text + " does not match the schema: " + errors);
  }
}
