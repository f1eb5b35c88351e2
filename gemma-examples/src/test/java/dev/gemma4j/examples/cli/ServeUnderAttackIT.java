package dev.gemma4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@code gemma serve} from the packaged jar against clients that open connections and never finish their
 * requests, under a descriptor limit lower than the attack: the server closes them at its read deadline,
 * refuses connections past its cap rather than running out of descriptors, and answers afterwards, whether
 * or not it had answered a request before the flood.
 */
@EnabledOnOs(OS.LINUX)
class ServeUnderAttackIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int DESCRIPTOR_LIMIT = 400;
  private static final int ATTACKERS = 450;
  private static final int READ_TIMEOUT_SECONDS = 3;

  @Test
  @Timeout(300)
  void halfSentRequestsAreClosedAtTheDeadlineAndTheServerAnswersAfterwards() throws Exception {
    Path fixture = CliRun.fixture("tiny-gemma2-tok");
    JsonObject golden = CliRun.firstGoldenCase(fixture);
    String prompt = golden.get("prompt").getAsString();
    String expected = golden.get("generated_text").getAsString();
    List<String> lowLimit = List.of("bash", "-c", "ulimit -n " + DESCRIPTOR_LIMIT + " && exec \"$@\"", "bash");
    for (boolean answeredBefore : new boolean[] {false, true}) {
      try (ServeProcess serve = new ServeProcess(lowLimit, fixture, "tiny",
          "--request-read-timeout", Integer.toString(READ_TIMEOUT_SECONDS))) {
        if (answeredBefore) {
          assertEquals(expected, completion(serve, prompt));
        }
        List<Socket> attackers = flood(serve);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READ_TIMEOUT_SECONDS + 15);
        int stillOpen = 0;
        for (Socket socket : attackers) {
          if (!closedByServerBefore(socket, deadline)) {
            stillOpen++;
          }
          socket.close();
        }
        assertEquals(0, stillOpen, "every half-sent request is closed by the read deadline: " + serve.stderr());
        assertTrue(serve.process.isAlive(), serve.stderr());
        var health = HTTP.send(HttpRequest.newBuilder(serve.baseUri.resolve("/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "answered before: " + answeredBefore + "; " + serve.stderr());
        assertEquals(expected, completion(serve, prompt), "answered before: " + answeredBefore);
        assertTrue(!serve.stderr().contains("Too many open files") && !serve.stderr().contains("NoClassDefFoundError"),
            serve.stderr());
      }
    }
  }

  @Test
  @Timeout(120)
  void anEmptyKeyInTheEnvironmentIsAUsageErrorNotAServerWithoutAuthentication() throws Exception {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder = new ProcessBuilder(javaBin, "-jar", System.getProperty("gemma.jar"), "serve",
        "--model", CliRun.fixture("tiny-gemma2-tok").toString(), "--backend", "cpu", "--port", "0");
    builder.environment().put("GEMMA4J_API_KEY", "");
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exits instead of serving");
    assertEquals(2, process.exitValue(), stderr);
    assertTrue(stderr.contains("GEMMA4J_API_KEY is set but empty"), stderr);
  }

  /** Opens the attackers' connections: half stop inside the headers, half inside a declared body. */
  private static List<Socket> flood(ServeProcess serve) {
    List<Socket> sockets = new ArrayList<>();
    byte[] partialHeader = "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
    byte[] partialBody = ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: 1000\r\n\r\n{\"prompt\":\"").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < ATTACKERS; i++) {
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(serve.baseUri.getHost(), serve.baseUri.getPort()), 2_000);
        socket.getOutputStream().write(i % 2 == 0 ? partialHeader : partialBody);
        socket.getOutputStream().flush();
      } catch (IOException refused) {
        // past the connection cap the server closes at once: that is the point
      }
      sockets.add(socket);
    }
    return sockets;
  }

  /** Whether the server closed (or reset) the connection before {@code deadline} ({@link System#nanoTime}). */
  private static boolean closedByServerBefore(Socket socket, long deadline) {
    if (!socket.isConnected() || socket.isClosed()) {
      return true;
    }
    try {
      InputStream in = socket.getInputStream();
      while (System.nanoTime() < deadline) {
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        if (in.read() < 0) {
          return true;
        }
      }
      return false;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  private static String completion(ServeProcess serve, String prompt) throws Exception {
    var response = HTTP.send(ServeJarIT.completion(serve.baseUri, prompt, 20, false), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
        .getAsJsonObject().get("text").getAsString();
  }
}
