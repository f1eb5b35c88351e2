package dev.gemma4j.examples.cli;

import dev.gemma4j.testing.TestFixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** One in-process run of the {@code gemma} program. */
record CliRun(int status, String out, String err) {

  static CliRun of(String... args) {
    return withInput("", args);
  }

  static CliRun withInput(String input, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        GemmaCli.run(
            args,
            new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Path fixture(String name) {
    return TestFixtures.path(name);
  }

  /** The first case of a fixture's golden.json: "The capital of France is" for tiny-gemma2-tok. */
  static com.google.gson.JsonObject firstGoldenCase(Path fixture) throws java.io.IOException {
    return com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(fixture.resolve("golden.json")))
        .getAsJsonObject().getAsJsonArray("cases").get(0).getAsJsonObject();
  }
}
