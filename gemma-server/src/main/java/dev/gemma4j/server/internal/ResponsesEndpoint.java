package dev.gemma4j.server.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.internal.StrictJson;
import dev.gemma4j.tools.ToolCall;
import dev.gemma4j.tools.ToolCallTextFilter;
import dev.gemma4j.tools.ToolCalling;
import java.io.IOException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Answers {@code POST /v1/responses}, OpenAI's Responses API, statelessly: the request is read as the chat
 * completion it asks for ({@link ResponsesRequests}), and the answer is a {@code response} object with
 * {@code message} and {@code function_call} output items, or, streamed, the events OpenAI defines
 * ({@code response.created}, {@code response.output_text.delta}, {@code response.function_call_arguments.done},
 * {@code response.completed}, ...).
 */
public final class ResponsesEndpoint {
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final CompletionEndpoint completions;
  private final String servedModel;

  public ResponsesEndpoint(CompletionEndpoint completions, String servedModel) {
    this.completions = completions;
    this.servedModel = servedModel;
  }

  public void handle(HttpExchange exchange, String body) throws IOException {
    long start = System.nanoTime();
    JsonObject request = StrictJson.parseObject(body, "the request body", m -> ApiError.badRequest(m, null));
    JsonObject chat = ResponsesRequests.toChat(request);
    CompletionEndpoint.Prepared prepared = completions.prepare(Operation.CHAT, chat.toString());
    Shape shape = new Shape(request, prepared, servedModel);
    if (Boolean.TRUE.equals(new JsonFields(request).bool("stream"))) {
      stream(exchange, prepared, shape, start);
      return;
    }
    GenerationHandle handle = completions.submitTracked(prepared, event -> {}, start);
    try {
      Generation generation = handle.result().get();
      HttpIo.json(exchange, 200, shape.response(generation));
    } catch (ExecutionException e) {
      throw ApiError.internal("the generation failed: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      handle.cancel();
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("the server is shutting down");
    }
  }

  private sealed interface Item {}

  private record Token(TokenEvent event) implements Item {}

  private record End(Generation generation, Throwable error) implements Item {}

  private void stream(HttpExchange exchange, CompletionEndpoint.Prepared prepared, Shape shape, long start)
      throws IOException {
    BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    GenerationHandle handle = completions.submitTracked(prepared, event -> items.add(new Token(event)), start);
    handle.result().whenComplete((g, e) -> items.add(new End(g, e)));
    ToolCallTextFilter visible = prepared.request().toolCalls() ? new ToolCallTextFilter() : null;
    Events events = new Events(new EventStream(exchange));
    try (events.stream) {
      events.send("response.created", "response", shape.skeleton("in_progress"));
      events.send("response.in_progress", "response", shape.skeleton("in_progress"));
      MessageStream message = new MessageStream(events, shape);
      while (true) {
        Item item = items.poll(KEEP_ALIVE_NANOS, TimeUnit.NANOSECONDS);
        if (item == null) {
          events.stream.keepAlive();
          continue;
        }
        if (item instanceof Token t) {
          message.delta(visible == null ? t.event().text() : visible.accept(t.event().text()));
          continue;
        }
        End end = (End) item;
        if (end.generation() == null) {
          JsonObject error = new JsonObject();
          error.addProperty("code", "server_error");
          error.addProperty("message", "the generation failed: " + end.error());
          events.send("error", error);
          return;
        }
        JsonObject response = shape.response(end.generation());
        JsonArray output = response.getAsJsonArray("output");
        for (int index = 0; index < output.size(); index++) {
          JsonObject out = output.get(index).getAsJsonObject();
          if (out.get("type").getAsString().equals("message")) {
            message.finish(out, index);
          } else {
            sendCall(events, out, index);
          }
        }
        events.send(response.get("status").getAsString().equals("completed") ? "response.completed"
            : "response.incomplete", "response", response);
        return;
      }
    } catch (IOException e) {
      handle.cancel();
    } catch (InterruptedException e) {
      handle.cancel();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The streamed message item: opened at its first text, given the text the final response holds beyond
   * what was streamed (text held back for a possible call), then closed with the response's own item.
   */
  private static final class MessageStream {
    private final Events events;
    private final Shape shape;
    private final StringBuilder sent = new StringBuilder();
    private boolean open;

    MessageStream(Events events, Shape shape) {
      this.events = events;
      this.shape = shape;
    }

    void delta(String text) throws IOException {
      if (text.isEmpty()) {
        return;
      }
      if (!open) {
        JsonObject message = shape.message("", "in_progress");
        message.add("content", new JsonArray());
        events.send("response.output_item.added", itemEvent(0, message));
        JsonObject added = shape.partRef(0);
        added.add("part", Shape.textPart(""));
        events.send("response.content_part.added", added);
        open = true;
      }
      sent.append(text);
      JsonObject d = shape.partRef(0);
      d.addProperty("delta", text);
      events.send("response.output_text.delta", d);
    }

    /** Streams the rest of {@code message}'s text and closes it. */
    void finish(JsonObject message, int index) throws IOException {
      JsonObject part = message.getAsJsonArray("content").get(0).getAsJsonObject();
      String text = part.get("text").getAsString();
      if (text.length() > sent.length() && text.startsWith(sent.toString())) {
        delta(text.substring(sent.length()));
      }
      if (!open) {
        return;
      }
      JsonObject done = shape.partRef(index);
      done.addProperty("text", text);
      events.send("response.output_text.done", done);
      JsonObject partDone = shape.partRef(index);
      partDone.add("part", part);
      events.send("response.content_part.done", partDone);
      events.send("response.output_item.done", itemEvent(index, message));
    }
  }

  /** A function call item's events: added, its arguments (in one delta), done. */
  private static void sendCall(Events events, JsonObject call, int index) throws IOException {
    JsonObject added = call.deepCopy();
    added.addProperty("arguments", "");
    added.addProperty("status", "in_progress");
    events.send("response.output_item.added", itemEvent(index, added));
    JsonObject delta = new JsonObject();
    delta.addProperty("item_id", call.get("id").getAsString());
    delta.addProperty("output_index", index);
    delta.add("delta", call.get("arguments"));
    events.send("response.function_call_arguments.delta", delta);
    JsonObject done = new JsonObject();
    done.addProperty("item_id", call.get("id").getAsString());
    done.addProperty("output_index", index);
    done.add("name", call.get("name"));
    done.add("arguments", call.get("arguments"));
    events.send("response.function_call_arguments.done", done);
    events.send("response.output_item.done", itemEvent(index, call));
  }

  private static JsonObject itemEvent(int index, JsonObject item) {
    JsonObject event = new JsonObject();
    event.addProperty("output_index", index);
    event.add("item", item);
    return event;
  }

  /** Numbered events. */
  private static final class Events {
    final EventStream stream;
    private int sequence;

    Events(EventStream stream) {
      this.stream = stream;
    }

    void send(String type, JsonObject body) throws IOException {
      body.addProperty("type", type);
      body.addProperty("sequence_number", sequence++);
      stream.event(type, body);
    }

    void send(String type, String field, JsonObject value) throws IOException {
      JsonObject body = new JsonObject();
      body.add(field, value);
      send(type, body);
    }
  }

  /** The response object's fields that echo the request, and the builders of its output items. */
  private static final class Shape {
    private final String id = "resp_" + random();
    private final String messageId = "msg_" + random();
    private final long created = System.currentTimeMillis() / 1000;
    private final JsonObject request;
    private final CompletionEndpoint.Prepared prepared;
    private final String model;

    Shape(JsonObject request, CompletionEndpoint.Prepared prepared, String model) {
      this.request = request;
      this.prepared = prepared;
      this.model = model;
    }

    JsonObject skeleton(String status) {
      JsonObject r = new JsonObject();
      r.addProperty("id", id);
      r.addProperty("object", "response");
      r.addProperty("created_at", created);
      r.addProperty("status", status);
      r.add("error", JsonNull.INSTANCE);
      r.add("incomplete_details", JsonNull.INSTANCE);
      r.add("instructions", echo("instructions", JsonNull.INSTANCE));
      r.addProperty("max_output_tokens", prepared.config().maxNewTokens());
      r.addProperty("model", model);
      r.add("output", new JsonArray());
      r.addProperty("parallel_tool_calls", !Boolean.FALSE.equals(new JsonFields(request).bool("parallel_tool_calls")));
      r.addProperty("temperature", prepared.config().sample() ? prepared.config().temperature() : 0);
      r.add("tool_choice", echo("tool_choice", new com.google.gson.JsonPrimitive(
          prepared.request().toolCalls() ? "auto" : "none")));
      r.add("tools", tools());
      r.addProperty("top_p", prepared.config().topP());
      r.add("metadata", echo("metadata", new JsonObject()));
      r.addProperty("store", false);
      r.add("usage", JsonNull.INSTANCE);
      return r;
    }

    JsonObject response(Generation generation) {
      boolean incomplete = generation.finishReason() == FinishReason.LENGTH
          || generation.finishReason() == FinishReason.TIMEOUT;
      JsonObject r = skeleton(incomplete ? "incomplete" : "completed");
      if (incomplete) {
        JsonObject details = new JsonObject();
        details.addProperty("reason", "max_output_tokens");
        r.add("incomplete_details", details);
      }
      JsonArray output = r.getAsJsonArray("output");
      ToolCalling.Parsed parsed = prepared.request().toolCalls() ? ToolCalling.parse(generation.text())
          : new ToolCalling.Parsed(generation.text(), List.of());
      if (parsed.content() != null && (!parsed.content().isEmpty() || parsed.calls().isEmpty())) {
        output.add(message(parsed.content(), "completed"));
      }
      for (ToolCall call : parsed.calls()) {
        JsonObject item = new JsonObject();
        item.addProperty("type", "function_call");
        item.addProperty("id", "fc_" + call.id().substring("call_".length()));
        item.addProperty("call_id", call.id());
        item.addProperty("name", call.name());
        item.addProperty("arguments", call.arguments());
        item.addProperty("status", "completed");
        output.add(item);
      }
      JsonObject usage = new JsonObject();
      usage.addProperty("input_tokens", generation.promptIds().size());
      JsonObject inputDetails = new JsonObject();
      inputDetails.addProperty("cached_tokens", generation.stats().cachedPromptTokens());
      inputDetails.addProperty("cache_write_tokens", 0); // the prefix cache fills itself; nothing is billed
      usage.add("input_tokens_details", inputDetails);
      usage.addProperty("output_tokens", generation.tokenIds().size());
      JsonObject outputDetails = new JsonObject();
      outputDetails.addProperty("reasoning_tokens", 0);
      usage.add("output_tokens_details", outputDetails);
      usage.addProperty("total_tokens", generation.promptIds().size() + generation.tokenIds().size());
      r.add("usage", usage);
      return r;
    }

    JsonObject message(String text, String status) {
      JsonObject message = new JsonObject();
      message.addProperty("type", "message");
      message.addProperty("id", messageId);
      message.addProperty("status", status);
      message.addProperty("role", "assistant");
      JsonArray content = new JsonArray();
      content.add(textPart(text));
      message.add("content", content);
      return message;
    }

    static JsonObject textPart(String text) {
      JsonObject part = new JsonObject();
      part.addProperty("type", "output_text");
      part.addProperty("text", text);
      part.add("annotations", new JsonArray());
      return part;
    }

    /** The fields that locate the message's text part in an event. */
    JsonObject partRef(int outputIndex) {
      JsonObject ref = new JsonObject();
      ref.addProperty("item_id", messageId);
      ref.addProperty("output_index", outputIndex);
      ref.addProperty("content_index", 0);
      ref.add("logprobs", new JsonArray());
      return ref;
    }

    private JsonArray tools() {
      JsonArray out = new JsonArray();
      if (request.get("tools") instanceof JsonArray tools) {
        for (JsonElement t : tools) {
          JsonObject tool = t.getAsJsonObject().deepCopy();
          if (!tool.has("strict")) {
            tool.addProperty("strict", true);
          }
          if (!tool.has("parameters")) {
            tool.add("parameters", JsonNull.INSTANCE);
          }
          out.add(tool);
        }
      }
      return out;
    }

    private JsonElement echo(String field, JsonElement absent) {
      JsonElement value = request.get(field);
      return value == null || value.isJsonNull() ? absent : value;
    }

    private static String random() {
      byte[] bytes = new byte[12];
      ThreadLocalRandom.current().nextBytes(bytes);
      return HexFormat.of().formatHex(bytes);
    }
  }
}
