package dev.gemma4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.gemma4j.Generation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** Golden files record, verify, and point at the first differing token. */
class GoldenFileTest {
  @TempDir Path dir;

  static final GoldenPrompt HELLO = new GoldenPrompt("hello", "Hello", false, 5);
  static final GoldenPrompt WORLD = new GoldenPrompt("world", "World", true, 5);

  private static GoldenRunner runner(List<Integer> hello, List<Integer> world) {
    GoldenRunner runner = mock(GoldenRunner.class);
    when(runner.run(any())).thenAnswer(call -> {
      GoldenPrompt p = call.getArgument(0);
      List<Integer> ids = p == HELLO ? hello : world;
      return Scripted.generation(ids, "text " + ids, 100, 10, 1);
    });
    return runner;
  }

  private GoldenFile file(GoldenRunner runner, String revision) {
    return new GoldenFile(dir.resolve("tiny/cpu.json"), "tiny", revision, "cpu", runner, id -> "piece" + id);
  }

  private String fails(GoldenFile file, GoldenMode mode) {
    return assertThrows(AssertionFailedError.class, () -> file.verify(List.of(HELLO, WORLD), mode)).getMessage();
  }

  @Test
  void recordsMissingGoldensThenVerifiesThem() throws IOException {
    GoldenFile f = file(runner(List.of(10, 11, 12), List.of(20, 21)), "rev1");
    String missing = fails(f, GoldenMode.VERIFY);
    assertTrue(missing.contains("no golden for \"hello\"") && missing.contains("gemma.testkit.goldens=record"), missing);
    f.verify(List.of(HELLO, WORLD), GoldenMode.RECORD);
    String json = Files.readString(f.path());
    assertTrue(json.contains("\"revision\": \"rev1\"") && json.contains("\"backend\": \"cpu\"") && json.contains("\"sdk_version\""), json);
    f.verify(List.of(HELLO, WORLD), GoldenMode.VERIFY);
  }

  @Test
  void aChangedTokenFailsWithTheFirstDifferenceAndBothTexts() {
    file(runner(List.of(10, 11, 12, 13), List.of(20)), "rev1").verify(List.of(HELLO, WORLD), GoldenMode.RECORD);
    String message = fails(file(runner(List.of(10, 11, 99, 13), List.of(20)), "rev1"), GoldenMode.VERIFY);
    assertTrue(message.contains("1 golden prompt(s) of tiny on cpu failed"), message);
    assertTrue(message.contains("\"hello\": first difference at generated token 2: expected 12 (\"piece12\"), got 99 (\"piece99\")"), message);
    assertTrue(message.contains("expected text: \"text [10, 11, 12, 13]\""), message);
    assertTrue(message.contains("actual text:   \"text [10, 11, 99, 13]\""), message);
    assertTrue(message.contains("regression"), message);
  }

  @Test
  void aShorterOutputPointsAtTheEnd() {
    file(runner(List.of(10, 11), List.of(20)), "rev1").verify(List.of(HELLO, WORLD), GoldenMode.RECORD);
    String message = fails(file(runner(List.of(10), List.of(20)), "rev1"), GoldenMode.VERIFY);
    assertTrue(message.contains("at generated token 1: expected 11 (\"piece11\"), got the end"), message);
  }

  @Test
  void goldensOfAnotherRevisionAreReportedAsStale() {
    file(runner(List.of(10, 11), List.of(20)), "rev1").verify(List.of(HELLO, WORLD), GoldenMode.RECORD);
    String message = fails(file(runner(List.of(10, 12), List.of(20)), "rev2"), GoldenMode.VERIFY);
    assertTrue(message.contains("stale") && message.contains("revision rev1") && message.contains("revision rev2"), message);
  }

  @Test
  void rewriteRecordsEverythingAnew() {
    file(runner(List.of(10), List.of(20)), "rev1").verify(List.of(HELLO, WORLD), GoldenMode.RECORD);
    GoldenFile changed = file(runner(List.of(30), List.of(40)), "rev2");
    changed.verify(List.of(HELLO, WORLD), GoldenMode.REWRITE);
    changed.verify(List.of(HELLO, WORLD), GoldenMode.VERIFY);
  }

  @Test
  void aGoldenOfAnotherPromptIsNotComparedAsIfItWereTheSame() {
    file(runner(List.of(10), List.of(20)), "rev1").verify(List.of(HELLO, WORLD), GoldenMode.RECORD);
    GoldenPrompt longer = new GoldenPrompt("hello", "Hello", false, 9);
    GoldenRunner r = mock(GoldenRunner.class);
    when(r.run(any())).thenReturn(Scripted.generation(List.of(10), "t", 1, 1, 1));
    String message =
        assertThrows(AssertionFailedError.class, () -> file(r, "rev1").verify(List.of(longer), GoldenMode.VERIFY)).getMessage();
    assertTrue(message.contains("recorded for another prompt or length"), message);
  }

  @Test
  void builtInPromptsAreTheArticlesInPlainAndChatForm() {
    List<GoldenPrompt> prompts = GoldenPrompts.builtIn();
    assertEquals(10, prompts.size());
    assertEquals(10, prompts.stream().map(GoldenPrompt::id).distinct().count());
    assertEquals("The capital of France is", prompts.getFirst().text());
    assertEquals(5, prompts.stream().filter(GoldenPrompt::chat).count());
  }

  @Test
  void userPromptsComeFromAFile() throws IOException {
    Path json = Files.writeString(dir.resolve("prompts.json"),
        "[{\"id\": \"a\", \"text\": \"Hi\"}, {\"id\": \"b\", \"text\": \"Yo\", \"chat\": true, \"max_new_tokens\": 8}]");
    assertEquals(List.of(new GoldenPrompt("a", "Hi", false, 32), new GoldenPrompt("b", "Yo", true, 8)), GoldenPrompts.fromFile(json));
    Path twice = Files.writeString(dir.resolve("twice.json"), "[{\"id\": \"a\", \"text\": \"Hi\"}, {\"id\": \"a\", \"text\": \"Yo\"}]");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoldenPrompts.fromFile(twice));
    assertTrue(e.getMessage().contains("entry 2") && e.getMessage().contains("appears twice"), e.getMessage());
  }
}
