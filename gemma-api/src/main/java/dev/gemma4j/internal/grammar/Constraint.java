package dev.gemma4j.internal.grammar;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.internal.StrictJson;
import dev.gemma4j.tools.ToolCalling;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A compiled {@link ResponseFormat}: its grammar as an automaton with its caches, and the trigger text after
 * which it applies when it applies lazily (tool calls with the choice left to the model). Shared by every
 * request of an equal format on one engine.
 *
 * @param automaton the grammar, run and cached
 * @param trigger the text after which the grammar applies, or {@code null} when it applies from the start
 */
public record Constraint(GrammarAutomaton automaton, @Nullable String trigger) {
  /** Most calls one response may make. */
  static final int MAX_TOOL_CALLS = 8;

  /**
   * Compiles {@code format} over the vocabulary of {@code trie}.
   *
   * @throws GrammarException naming what the format asks that cannot be done
   */
  public static Constraint compile(ResponseFormat format, TokenTrie trie) {
    return switch (format.kind()) {
      case TEXT -> throw new IllegalArgumentException("free text needs no constraint");
      case JSON_OBJECT -> eager(anyJsonObject(), trie);
      case JSON_SCHEMA -> eager(JsonSchemaGrammar.compile(JsonParser.parseString(format.specification())), trie);
      case REGEX -> eager(Grammar.compile(Map.of("root", RegexGrammar.compile(format.specification(), false)), "root"),
          trie);
      case CHOICE -> eager(Grammar.compile(
          Map.of("root", Expr.alt(format.choices().stream().map(Expr::literal).toList())), "root"), trie);
      case TOOL_CALLS -> toolCalls(format.specification(), trie);
    };
  }

  private static Constraint eager(Grammar grammar, TokenTrie trie) {
    return new Constraint(new GrammarAutomaton(grammar, trie), null);
  }

  private static Grammar anyJsonObject() {
    Map<String, Expr> rules = new LinkedHashMap<>();
    JsonGrammar.addCommonRules(rules);
    rules.put("root", Expr.seq(Expr.ref(JsonGrammar.OBJECT), JsonGrammar.ws()));
    return Grammar.compile(rules, "root");
  }

  /** Whether the grammar applies from the first token. */
  public boolean eager() {
    return trigger == null;
  }

  private static Constraint toolCalls(String specification, TokenTrie trie) {
    JsonObject spec = StrictJson.parseObject(specification, "the tool calls", IllegalArgumentException::new);
    Map<String, Expr> rules = new LinkedHashMap<>();
    JsonGrammar.addCommonRules(rules);
    List<Expr> calls = new ArrayList<>();
    JsonArray tools = spec.getAsJsonArray("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonObject tool = tools.get(i).getAsJsonObject();
      String name = tool.get("name").getAsString();
      JsonElement parameters = tool.get("parameters");
      Expr arguments;
      try {
        arguments = JsonSchemaGrammar.addTo(rules, parameters, "tool" + i + ":");
      } catch (GrammarException e) {
        throw new GrammarException("tool '" + name + "': " + e.getMessage());
      }
      calls.add(Expr.seq(Expr.literal("{"), JsonGrammar.ws(), Expr.literal("\"name\""), JsonGrammar.ws(),
          Expr.literal(":"), JsonGrammar.ws(), JsonGrammar.stringLiteral(name), JsonGrammar.ws(), Expr.literal(","),
          JsonGrammar.ws(), Expr.literal("\"arguments\""), JsonGrammar.ws(), Expr.literal(":"), JsonGrammar.ws(),
          arguments, JsonGrammar.ws(), Expr.literal("}")));
    }
    rules.put("call", Expr.alt(calls));
    // After the opening: the rest of the first block, then up to MAX_TOOL_CALLS - 1 more blocks.
    Expr block = Expr.seq(Expr.literal("\n"), Expr.ref("call"), Expr.literal("\n```"));
    rules.put("calls", Expr.seq(block,
        Expr.repeat(Expr.seq(Expr.literal("\n" + ToolCalling.CALL_OPENING), block), 0,
            spec.get("parallel").getAsBoolean() ? MAX_TOOL_CALLS - 1 : 0)));
    boolean lazy = spec.get("lazy").getAsBoolean();
    if (lazy) {
      return new Constraint(new GrammarAutomaton(Grammar.compile(rules, "calls"), trie), ToolCalling.CALL_OPENING);
    }
    rules.put("root", Expr.seq(Expr.literal(ToolCalling.CALL_OPENING), Expr.ref("calls")));
    return eager(Grammar.compile(rules, "root"), trie);
  }
}
