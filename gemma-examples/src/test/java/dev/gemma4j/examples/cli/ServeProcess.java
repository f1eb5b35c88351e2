package dev.gemma4j.examples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code java -jar gemma.jar serve} on a free port, as an operator runs it; {@link #close()} kills it hard. */
final class ServeProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("serving .* on (http://\\S+/v1) ");

  final Process process;
  final URI baseUri;
  private final StringBuffer stderr = new StringBuffer();

  ServeProcess(Path model, String servedName, String... extraArgs) throws IOException, InterruptedException {
    this(List.of(), model, servedName, extraArgs);
  }

  /** @param prefix runs the java command through this, e.g. a shell that lowers a limit first */
  ServeProcess(List<String> prefix, Path model, String servedName, String... extraArgs)
      throws IOException, InterruptedException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(javaBin, "-jar", System.getProperty("gemma.jar"), "serve",
        "--model", model.toString(), "--backend", "cpu", "--port", "0", "--served-model-name", servedName,
        "--threads", "1"));
    command.addAll(List.of(extraArgs));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("GEMMA"));
    process = builder.start();
    CompletableFuture.runAsync(() -> {
      try (var err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = err.readLine()) != null; ) {
          stderr.append(line).append('\n');
        }
      } catch (IOException ignored) {
        // the process ended
      }
    });
    var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    URI uri = null;
    for (String line; uri == null && (line = out.readLine()) != null; ) {
      Matcher m = SERVING.matcher(line);
      if (m.find()) {
        uri = URI.create(m.group(1));
      }
    }
    if (uri == null) {
      process.waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException("gemma serve did not start: " + stderr);
    }
    baseUri = uri;
    CompletableFuture.runAsync(() -> {
      try {
        out.transferTo(java.io.Writer.nullWriter());
      } catch (IOException ignored) {
        // the process ended
      }
    });
  }

  String stderr() {
    return stderr.toString();
  }

  /** SIGTERM, as an orchestrator stops a replica; returns the exit status. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("gemma serve did not exit after SIGTERM: " + stderr);
    }
    return process.exitValue();
  }

  /** SIGKILL of the server and the JVM it runs in (the jar reruns itself with the Vector API). */
  void kill() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
