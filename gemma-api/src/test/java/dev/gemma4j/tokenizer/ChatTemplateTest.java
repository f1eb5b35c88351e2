package dev.gemma4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.ChatMessage;
import dev.gemma4j.GemmaException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
  @Test
  void rendersAlternatingTurnsAndOpensTheModelTurn() {
    String text =
        ChatTemplate.render(
            List.of(ChatMessage.user(" Hi "), ChatMessage.model("Hello!"), ChatMessage.user("Capital of France?")));
    assertEquals(
        "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
            + "<start_of_turn>user\nCapital of France?<end_of_turn>\n<start_of_turn>model\n",
        text);
  }

  @Test
  void foldsTheSystemTextIntoTheFirstUserTurn() {
    String text = ChatTemplate.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Why?")));
    assertEquals("<start_of_turn>user\nBe brief.\n\nWhy?<end_of_turn>\n<start_of_turn>model\n", text);
  }

  @Test
  void rejectsTurnsThatDoNotAlternate() {
    GemmaException e =
        assertThrows(GemmaException.class, () -> ChatTemplate.render(List.of(ChatMessage.user("a"), ChatMessage.user("b"))));
    assertTrue(e.getMessage().contains("alternate"), e.getMessage());
    assertThrows(GemmaException.class, () -> ChatTemplate.render(List.of(ChatMessage.model("a"))));
    assertThrows(GemmaException.class, () -> ChatTemplate.render(List.of(ChatMessage.user("a"), ChatMessage.model("b"))));
    assertThrows(GemmaException.class, () -> ChatTemplate.render(List.of()));
  }
}
