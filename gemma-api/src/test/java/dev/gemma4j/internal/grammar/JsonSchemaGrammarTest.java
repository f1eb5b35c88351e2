package dev.gemma4j.internal.grammar;

import static dev.gemma4j.internal.grammar.GrammarTestSupport.assertValid;
import static dev.gemma4j.internal.grammar.GrammarTestSupport.compile;
import static dev.gemma4j.internal.grammar.GrammarTestSupport.matches;
import static dev.gemma4j.internal.grammar.GrammarTestSupport.randomWalk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.ResponseFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JSON Schema to grammar: texts the schema accepts match and others do not, and random generation under
 * the mask always gives JSON that an independent validator (networknt) accepts.
 */
class JsonSchemaGrammarTest {
  static final String PERSON = """
      {"type": "object",
       "properties": {
         "name": {"type": "string", "minLength": 1, "maxLength": 12},
         "age": {"type": "integer", "minimum": 0, "maximum": 150},
         "score": {"type": "number", "minimum": -5, "maximum": 5},
         "tags": {"type": "array", "items": {"enum": ["a", "b c", "dé"]}, "minItems": 1, "maxItems": 3},
         "address": {"$ref": "#/$defs/address"},
         "nickname": {"type": ["string", "null"], "maxLength": 4},
         "kind": {"const": "person"},
         "active": {"type": "boolean"},
         "id": {"type": "string", "pattern": "^[A-Z]{2}-\\\\d{3}$"},
         "either": {"anyOf": [{"type": "integer", "exclusiveMaximum": 3, "minimum": -2}, {"type": "null"}]}
       },
       "required": ["name", "age", "tags", "kind", "id"],
       "additionalProperties": false,
       "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 8},
         "zip": {"type": "string", "format": "date"}}, "required": ["city"]}}}
      """;

  @Test
  void acceptsWhatTheSchemaAcceptsAndNothingElse() {
    Constraint c = compile(ResponseFormat.jsonSchema(PERSON));
    String valid = "{\"name\": \"Ann\", \"age\": 41, \"tags\": [\"b c\"], \"kind\": \"person\", \"id\": \"AB-123\"}";
    assertTrue(matches(c, valid));
    assertValid(PERSON, valid);
    assertTrue(matches(c, "{\"name\":\"A\",\"age\":0,\"score\":-4.25,\"tags\":[\"a\",\"dé\"],\"address\":{\"city\":\"Oslo\","
        + "\"zip\":\"2024-02-29\"},\"nickname\":null,\"kind\":\"person\",\"active\":true,\"id\":\"ZZ-000\",\"either\":-2}"));
    assertFalse(matches(c, valid.replace("41", "151")), "above the maximum");
    assertFalse(matches(c, valid.replace("\"Ann\"", "\"\"")), "below minLength");
    assertFalse(matches(c, valid.replace("AB-123", "AB-12")), "against the pattern");
    assertFalse(matches(c, valid.replace(", \"kind\": \"person\"", "")), "a required property left out");
    assertFalse(matches(c, valid.replace("{", "{\"extra\": 1, ")), "a property the schema does not name");
    assertFalse(matches(c, valid.replace("[\"b c\"]", "[]")), "below minItems");
    assertFalse(matches(c, valid.replace("{", "{" + " ".repeat(JsonGrammar.MAX_WHITESPACE + 1))), "unbounded whitespace");
    assertTrue(matches(c, valid.replace("{", "{" + " ".repeat(JsonGrammar.MAX_WHITESPACE))));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void randomGenerationUnderTheMaskAlwaysValidates(long seed) {
    Constraint c = compile(ResponseFormat.jsonSchema(PERSON));
    String text = randomWalk(c, GrammarTestSupport.smallVocabulary(), seed, 4_000);
    assertNotNull(text, "a bounded schema must end");
    assertValid(PERSON, text);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void recursiveSchemasAndAnyJsonObject(long seed) {
    String tree = """
        {"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
          "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}}, "required": ["v"]}},
         "$ref": "#/$defs/node"}""";
    String text = randomWalk(compile(ResponseFormat.jsonSchema(tree)), GrammarTestSupport.smallVocabulary(), seed, 20_000);
    if (text != null) {
      assertValid(tree, text);
    }
    String any = randomWalk(compile(ResponseFormat.jsonObject()), GrammarTestSupport.smallVocabulary(), seed, 20_000);
    if (any != null) {
      assertValid("{\"type\": \"object\"}", any);
    }
  }

  @Test
  void integerRangesMatchExactlyTheirIntegers() {
    long[][] ranges = {{0, 0}, {-7, 7}, {13, 1234}, {-1000, -999}, {-250, 31}, {99, 101}, {5, 5}, {-1, 0}};
    for (long[] r : ranges) {
      Constraint c = compile(ResponseFormat.jsonSchema(
          "{\"type\": \"integer\", \"minimum\": " + r[0] + ", \"maximum\": " + r[1] + "}"));
      for (long v = r[0] - 30; v <= r[1] + 30; v++) {
        assertEquals(v >= r[0] && v <= r[1], matches(c, Long.toString(v)), v + " in [" + r[0] + ", " + r[1] + "]");
      }
      assertFalse(matches(c, "0" + r[0]), "a leading zero");
    }
  }

  @Test
  void exclusiveAndFractionalIntegerBounds() {
    Constraint c = compile(ResponseFormat.jsonSchema(
        "{\"type\": \"integer\", \"exclusiveMinimum\": 2.5, \"maximum\": 7.9, \"exclusiveMaximum\": 7}"));
    for (long v = -5; v <= 12; v++) {
      assertEquals(v >= 3 && v <= 6, matches(c, Long.toString(v)), Long.toString(v));
    }
    Constraint d = compile(ResponseFormat.jsonSchema("{\"type\": \"integer\", \"minimum\": -2.5, \"exclusiveMinimum\": -2}"));
    assertFalse(matches(d, "-2"));
    assertTrue(matches(d, "-1") && matches(d, "123"));
  }

  @Test
  void numberRangesWithWholeBounds() {
    Constraint c = compile(ResponseFormat.jsonSchema("{\"type\": \"number\", \"minimum\": -3, \"maximum\": 2}"));
    for (String in : new String[] {"-3", "-3.0", "-2.999", "-0.5", "0", "1.75", "2", "2.000"}) {
      assertTrue(matches(c, in), in);
    }
    for (String out : new String[] {"-3.01", "2.5", "3", "-4", "2.01", "1e3"}) {
      assertFalse(matches(c, out), out);
    }
  }

  @Test
  void unsupportedKeywordsAreRefusedByName() {
    GrammarException e = assertThrows(GrammarException.class,
        () -> compile(ResponseFormat.jsonSchema("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\","
            + " \"uniqueItems\": true}}}")));
    assertTrue(e.getMessage().contains("#/properties/a") && e.getMessage().contains("uniqueItems"), e.getMessage());
    e = assertThrows(GrammarException.class,
        () -> compile(ResponseFormat.jsonSchema("{\"$ref\": \"https://example.com/schema.json\"}")));
    assertTrue(e.getMessage().contains("same document"), e.getMessage());
    e = assertThrows(GrammarException.class,
        () -> compile(ResponseFormat.jsonSchema("{\"type\": \"string\", \"format\": \"hostname\"}")));
    assertTrue(e.getMessage().contains("hostname"), e.getMessage());
    e = assertThrows(GrammarException.class,
        () -> compile(ResponseFormat.jsonSchema("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}")));
    assertTrue(e.getMessage().contains("refers to itself"), e.getMessage());
  }

  @Test
  void aBoundedSchemaEndsAndOnlyTheStopTokenFollows() {
    Constraint c = compile(ResponseFormat.jsonSchema("{\"enum\": [\"yes\", \"no\"]}"));
    GrammarMatcher m = new GrammarMatcher(c, java.util.Set.of(GrammarTestSupport.STOP));
    TokenTrie trie = GrammarTestSupport.smallVocabulary();
    for (String piece : new String[] {"\"", "n", "o", "\""}) {
      int token = indexOf(trie, piece);
      assertTrue(m.allows(token), piece);
      m.accept(token);
    }
    assertTrue(m.allows(GrammarTestSupport.STOP));
    assertFalse(m.complete(), "trailing whitespace may follow");
    for (int i = 0; i < JsonGrammar.MAX_WHITESPACE / 4; i++) {
      m.accept(indexOf(trie, "    "));
    }
    assertTrue(m.complete());
    float[] logits = new float[trie.vocabSize()];
    assertEquals(1, m.mask(logits), "only the stop token");
    assertEquals(0f, logits[GrammarTestSupport.STOP]);
  }

  static int indexOf(TokenTrie trie, String piece) {
    for (int t = 0; t < trie.vocabSize(); t++) {
      int[] text = trie.text(t);
      if (text != null && new String(text, 0, text.length).equals(piece)) {
        return t;
      }
    }
    throw new AssertionError(piece);
  }
}
