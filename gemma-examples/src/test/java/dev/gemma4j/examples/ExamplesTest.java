package dev.gemma4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** Every example program runs on the tiny fixture and prints what it promises. */
@Isolated
class ExamplesTest {
  static String model;
  static String golden;
  static String chatGolden;

  @BeforeAll
  static void fixture() throws IOException {
    model = TestFixtures.path("tiny-gemma2-tok").toString();
    JsonObject first =
        JsonParser.parseString(Files.readString(TestFixtures.path("tiny-gemma2-tok").resolve("golden.json")))
            .getAsJsonObject().getAsJsonArray("cases").get(0).getAsJsonObject();
    golden = first.get("generated_text").getAsString();
    var cases = JsonParser.parseString(Files.readString(TestFixtures.path("tiny-gemma2-tok").resolve("golden.json")))
        .getAsJsonObject().getAsJsonArray("cases");
    for (var c : cases) {
      if (c.getAsJsonObject().get("prompt").getAsString().startsWith("<start_of_turn>user\nThe capital of France is")) {
        chatGolden = c.getAsJsonObject().get("generated_text").getAsString();
      }
    }
  }

  interface Main {
    void run(String[] args) throws Exception;
  }

  static String output(Main main, String... args) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      main.run(args);
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void generate() throws Exception {
    String out = output(GenerateExample::main, model);
    assertTrue(out.startsWith(golden), out);
    assertTrue(out.contains("finish reason: "), out);
  }

  @Test
  void streaming() throws Exception {
    String[] lines = output(StreamingExample::main, model).split("\n");
    assertEquals(3, lines.length);
    for (String line : lines) {
      assertTrue(line.startsWith(golden), "every form streams the golden text: " + line);
    }
  }

  @Test
  void chat() throws Exception {
    String out = output(ChatExample::main, model);
    assertEquals(2, out.lines().filter(l -> l.startsWith("model: ")).count(), out);
  }

  @Test
  void concurrentRequests() throws Exception {
    String out = output(ConcurrentRequestsExample::main, model);
    assertTrue(out.contains("The capital of France is -> " + golden), out);
    assertTrue(out.contains("blocksInUse=0") && !out.matches("(?s).*\\bblocksInUse=[1-9].*"), "every group's blocks came back: " + out);
  }

  @Test
  void chooseBackend() throws Exception {
    String out = output(ChooseBackendExample::main, model, "cpu");
    assertTrue(out.contains("cpu  rank 10  available") && out.contains("running on cpu"), out);
    assertTrue(out.contains(golden), out);
  }

  @Test
  void statistics() throws Exception {
    String out = output(StatisticsExample::main, model);
    assertTrue(out.contains("generated tokens     40"), out);
    assertTrue(out.matches("(?s).*tokens/s\\s+\\d+\\.\\d\\d.*"), out);
    assertTrue(out.contains("weights "), out);
  }

  @Test
  void serving() throws Exception {
    String out = output(ServingExample::main, model);
    assertEquals(List.of("http:   " + golden, "remote: " + golden), out.lines().toList());
  }

  @Test
  void langChain4j() throws Exception {
    assertEquals("assistant: " + chatGolden, output(LangChain4jExample::main, model).strip());
  }

  @Test
  void examplesRunOnTheBundledModelWithoutArguments() throws Exception {
    assertTrue(output(GenerateExample::main).startsWith(golden));
  }
}
