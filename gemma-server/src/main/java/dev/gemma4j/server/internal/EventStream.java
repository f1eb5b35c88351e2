package dev.gemma4j.server.internal;

import com.google.gson.JsonElement;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A server-sent event stream as OpenAI streams: {@code data: JSON} events, ended by {@code data: [DONE]}. */
final class EventStream implements AutoCloseable {
  private final OutputStream out;

  /** Sends the headers (status 200, chunked) and opens the stream. */
  EventStream(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    this.out = exchange.getResponseBody();
  }

  /** Sends one event and flushes; an {@link IOException} means the client is gone. */
  void data(JsonElement json) throws IOException {
    write("data: " + json + "\n\n");
  }

  /** One named event, as OpenAI's Responses API streams them: {@code event: TYPE} then its data. */
  void event(String type, JsonElement json) throws IOException {
    write("event: " + type + "\ndata: " + json + "\n\n");
  }

  /** A comment line: keeps proxies from timing out and shows whether the client is still there. */
  void keepAlive() throws IOException {
    write(": keep-alive\n\n");
  }

  void done() throws IOException {
    write("data: [DONE]\n\n");
  }

  private void write(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
