package dev.gemma4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tool-call format: written calls parse back, streaming hides calls, results merge into user turns. */
class ToolCallingTest {
  @Test
  void callsTheModelWritesParseBack() {
    String text = "Let me look.\n" + ToolCalling.callText(List.of(new ToolCall("call_a", "get_weather", "{\"city\":\"Oslo\"}"),
        new ToolCall("call_b", "get_time", "{}")));
    ToolCalling.Parsed parsed = ToolCalling.parse(text);
    assertEquals("Let me look.", parsed.content());
    assertEquals(List.of("get_weather", "get_time"), parsed.calls().stream().map(ToolCall::name).toList());
    assertEquals("{\"city\":\"Oslo\"}", parsed.calls().getFirst().arguments());
    assertTrue(parsed.calls().getFirst().id().matches("call_[A-Za-z0-9]{24}"));
    assertNull(ToolCalling.parse(ToolCalling.callText(List.of(new ToolCall("x", "f", "{}")))).content());
  }

  @Test
  void aBrokenOrCutCallLeavesTheTextAsContent() {
    for (String text : List.of("```tool_call\n{\"name\": \"f\", \"argu", "```tool_call\n{\"name\": 3}\n```", "plain")) {
      ToolCalling.Parsed parsed = ToolCalling.parse(text);
      assertEquals(text, parsed.content());
      assertTrue(parsed.calls().isEmpty());
    }
  }

  @Test
  void theStreamFilterShowsTextUpToACallAndHoldsBackWhatMayOpenOne() {
    ToolCallTextFilter filter = new ToolCallTextFilter();
    StringBuilder shown = new StringBuilder();
    for (String piece : List.of("Sure", " ``", "` is code", ". Now ```", "tool", "_call\n{\"name\"", ": 1}")) {
      shown.append(filter.accept(piece));
    }
    shown.append(filter.finish());
    assertEquals("Sure ``` is code. Now ", shown.toString());
    assertTrue(filter.callOpened());
    ToolCallTextFilter plain = new ToolCallTextFilter();
    assertEquals("a ", plain.accept("a ``"));
    assertEquals("``", plain.finish(), "held-back text comes out at the end when no call opened");
  }

  @Test
  void toolResultsMergeWithTheUserTurnsAroundThem() {
    List<ChatMessage> merged = ToolCalling.mergeToolResults(List.of(ChatMessage.user("Weather?"),
        ChatMessage.model(ToolCalling.callText(List.of(new ToolCall("c", "w", "{}")))), ToolCalling.resultTurn("w", "sun"),
        ToolCalling.resultTurn("w", "rain"), ChatMessage.user("Thanks")));
    assertEquals(3, merged.size());
    assertTrue(merged.get(2).text().contains("sun") && merged.get(2).text().contains("rain")
        && merged.get(2).text().endsWith("Thanks"));
    assertEquals(2, ToolCalling.mergeToolResults(List.of(ChatMessage.user("a"), ChatMessage.user("b"))).size(),
        "plain user turns are left alone");
  }
}
