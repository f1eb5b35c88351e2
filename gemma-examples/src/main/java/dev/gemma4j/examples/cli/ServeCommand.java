package dev.gemma4j.examples.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.server.GemmaServer;
import dev.gemma4j.server.ServerOptions;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gemma serve}: an OpenAI-compatible server ({@link GemmaServer}) until SIGTERM or Ctrl-C, which
 * drain the requests in flight before the process exits.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "serve",
    description = {
      "Serve the model over the OpenAI API: /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics.",
      "SIGTERM or Ctrl-C stops taking requests, lets those in flight finish (--drain-timeout), then exits."
    })
final class ServeCommand implements Callable<Integer> {
  /** Where the key can come from without showing in the process list. */
  static final String API_KEY_ENV = "GEMMA4J_API_KEY";

  @Spec CommandSpec spec;

  @Mixin ModelOptions model = new ModelOptions();

  @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "N", defaultValue = "8000", description = "TCP port (default 8000; 0 picks one).")
  int port = 8000;

  @Option(names = "--api-key", paramLabel = "KEY",
      description = "Require 'Authorization: Bearer KEY' on /v1 (default: the " + API_KEY_ENV + " variable, else none).")
  @Nullable String apiKey;

  @Option(names = "--allowed-origins", paramLabel = "ORIGIN", split = ",",
      description = "Web origins whose pages may call the server from a browser (CORS), comma-separated, e.g."
          + " https://app.example.com; * for any (default: none).")
  java.util.List<String> allowedOrigins = new java.util.ArrayList<>();

  @Option(names = "--served-model-name", paramLabel = "NAME",
      description = "The model name clients send (default: --model as given).")
  @Nullable String servedModelName;

  @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "4194304",
      description = "Larger request bodies get HTTP 413 (default 4 MiB).")
  int maxBodyBytes = 4 << 20;

  @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "On shutdown, how long requests in flight may finish before they are cancelled (default 30).")
  int drainSeconds = 30;

  @Option(names = "--request-read-timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "A request's headers and body must arrive within this, or the connection is closed (default 30).")
  int requestReadSeconds = 30;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "A kept-alive connection is closed after this long without a request (default 30).")
  int idleSeconds = 30;

  @Option(names = "--max-connections", paramLabel = "N",
      description = "Connections open at once; more are closed as they arrive (default: half the file-descriptor"
          + " limit, 16 to 10000).")
  @Nullable Integer maxConnections;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    ServerOptions options = serverOptions();
    try (Gemma gemma = model.open(spec)) {
      GemmaServer server = GemmaServer.start(gemma, options);
      Thread drain = new Thread(() -> {
        server.close();
        gemma.close();
      }, "gemma-drain");
      Runtime.getRuntime().addShutdownHook(drain);
      out.printf("serving %s as '%s' on %s (%s)%n", gemma.info().model(), server.servedModelName(), server.baseUri(),
          gemma.deviceName());
      out.flush();
      server.awaitShutdown();
    }
    return 0;
  }

  private ServerOptions serverOptions() {
    if (drainSeconds < 0) {
      throw GemmaCli.usage(spec, "--drain-timeout " + drainSeconds + ": seconds, 0 or more");
    }
    if (requestReadSeconds < 1) {
      throw GemmaCli.usage(spec, "--request-read-timeout " + requestReadSeconds + ": seconds, 1 or more");
    }
    if (idleSeconds < 1) {
      throw GemmaCli.usage(spec, "--idle-timeout " + idleSeconds + ": seconds, 1 or more");
    }
    if (maxConnections != null && maxConnections < 1) {
      throw GemmaCli.usage(spec, "--max-connections " + maxConnections + ": 1 or more");
    }
    String key = apiKey;
    if (key != null && key.isBlank()) {
      throw GemmaCli.usage(spec, "--api-key is empty, which would serve without authentication; give a key, or"
          + " leave the option out to serve without one");
    }
    if (key == null) {
      key = System.getenv(API_KEY_ENV);
      if (key != null && key.isBlank()) {
        throw GemmaCli.usage(spec, API_KEY_ENV + " is set but empty, which would serve without authentication; set"
            + " it to a key, or unset it to serve without one");
      }
    }
    try {
      ServerOptions.Builder builder = ServerOptions.builder()
          .requestReadTimeout(Duration.ofSeconds(requestReadSeconds))
          .idleTimeout(Duration.ofSeconds(idleSeconds));
      if (maxConnections != null) {
        builder.maxConnections(maxConnections);
      }
      return builder
          .host(host)
          .port(port)
          .apiKey(key)
          .servedModelName(servedModelName != null ? servedModelName : model.model)
          .maxBodyBytes(maxBodyBytes)
          .drainTimeout(Duration.ofSeconds(drainSeconds))
          .allowedOrigins(allowedOrigins)
          .build();
    } catch (IllegalArgumentException e) {
      throw GemmaCli.usage(spec, e.getMessage());
    }
  }
}
