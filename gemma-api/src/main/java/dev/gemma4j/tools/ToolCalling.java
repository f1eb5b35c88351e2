package dev.gemma4j.tools;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.gemma4j.ChatMessage;
import dev.gemma4j.ResponseFormat;
import dev.gemma4j.internal.StrictJson;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Gemma's tool-calling format, which gemma4j defines (Gemma 2 and 3 have no tool tokens or template): the
 * tools are described in the system text ({@link #instructions}), and the model calls one by writing
 *
 * <pre>
 * ```tool_call
 * {"name": "get_weather", "arguments": {"city": "Paris"}}
 * ```
 * </pre>
 *
 * one block per call, nothing after the last. The call is decoded under the grammar of the tools' argument
 * schemas ({@link ResponseFormat#toolCalls}), so a call always names a tool and its arguments always match
 * that tool's schema. A result goes back to the model in a user turn as a {@code tool_result} block
 * ({@link #resultText}); the model's earlier calls stay in its turns as the blocks it wrote
 * ({@link #callText}).
 */
public final class ToolCalling {
  /** The text that opens a call; generation is constrained from here on when the tool choice is auto. */
  public static final String CALL_OPENING = "```tool_call";
  private static final String CLOSING = "```";
  private static final String RESULT_OPENING = "```tool_result";

  private ToolCalling() {}

  /** The system text that describes {@code tools} and how to call them. */
  public static String instructions(List<Tool> tools) {
    StringBuilder text = new StringBuilder("You can call these tools (functions), described in JSON:\n");
    for (Tool tool : tools) {
      JsonObject t = new JsonObject();
      t.addProperty("name", tool.name());
      if (!tool.description().isEmpty()) {
        t.addProperty("description", tool.description());
      }
      t.add("parameters", JsonParser.parseString(tool.parametersSchema()));
      text.append(t).append('\n');
    }
    return text.append("To call a tool, answer with a block like this for each call, and write nothing after the"
            + " last block:\n")
        .append(CALL_OPENING).append("\n{\"name\": \"tool name\", \"arguments\": {...}}\n").append(CLOSING).append('\n')
        .append("Each result comes back in a tool_result block. Answer in plain text when no tool is needed.")
        .toString();
  }

  /**
   * {@code messages} with the description of {@code tools} added to the system text (or as one, before the
   * first message).
   */
  public static List<ChatMessage> withTools(List<ChatMessage> messages, List<Tool> tools) {
    List<ChatMessage> out = new ArrayList<>(messages.size() + 1);
    String instructions = instructions(tools);
    int lastSystem = -1;
    for (int i = 0; i < messages.size() && messages.get(i).role() == ChatMessage.Role.SYSTEM; i++) {
      lastSystem = i;
    }
    if (lastSystem < 0) {
      out.add(ChatMessage.system(instructions));
    }
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      out.add(i == lastSystem ? ChatMessage.system(m.text().strip() + "\n\n" + instructions) : m);
    }
    return out;
  }

  /** The model's calls as it writes them, for its turn in a conversation's history. */
  public static String callText(List<ToolCall> calls) {
    StringBuilder text = new StringBuilder();
    for (ToolCall call : calls) {
      if (!text.isEmpty()) {
        text.append('\n');
      }
      JsonObject c = new JsonObject();
      c.addProperty("name", call.name());
      c.add("arguments", StrictJson.parse(call.arguments().isBlank() ? "{}" : call.arguments(),
          "the arguments of call " + call.id(), IllegalArgumentException::new));
      text.append(CALL_OPENING).append('\n').append(c).append('\n').append(CLOSING);
    }
    return text.toString();
  }

  /** The model's turn that made {@code calls}: its text, if any, then the blocks of the calls. */
  public static String modelTurnText(String text, List<ToolCall> calls) {
    String blocks = callText(calls);
    return text.isBlank() ? blocks : text.strip() + "\n" + blocks;
  }

  /** A tool's result as the user turn that gives it to the model. */
  public static String resultText(String toolName, String result) {
    return RESULT_OPENING + " name=" + toolName + "\n" + result.strip() + "\n" + CLOSING;
  }

  /** A user turn holding {@link #resultText} of a tool's result. */
  public static ChatMessage resultTurn(String toolName, String result) {
    return ChatMessage.user(resultText(toolName, result));
  }

  /**
   * {@code messages} with each run of user turns that holds a tool result merged into one (Gemma's turns
   * alternate, and one answer may hold several results, followed by the user's next words).
   */
  public static List<ChatMessage> mergeToolResults(List<ChatMessage> messages) {
    List<ChatMessage> out = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      ChatMessage last = out.isEmpty() ? null : out.getLast();
      if (last != null && last.role() == ChatMessage.Role.USER && m.role() == ChatMessage.Role.USER
          && (isResult(last) || isResult(m))) {
        out.set(out.size() - 1, ChatMessage.user(last.text().strip() + "\n\n" + m.text().strip()));
      } else {
        out.add(m);
      }
    }
    return out;
  }

  private static boolean isResult(ChatMessage m) {
    return m.text().contains(RESULT_OPENING);
  }

  /**
   * What the model wrote, split into text and calls.
   *
   * @param content the text before the first call, or {@code null} when there is none
   * @param calls the calls, in order; empty when the output has none (or a block that is not a valid call,
   *     such as one cut off by the length limit: then the whole output is the content)
   */
  public record Parsed(@Nullable String content, List<ToolCall> calls) {
    /** Copies the calls. */
    public Parsed {
      calls = List.copyOf(calls);
    }
  }

  /** Splits generated text into content and calls; call ids are new and unique. */
  public static Parsed parse(String output) {
    int first = output.indexOf(CALL_OPENING);
    if (first < 0) {
      return new Parsed(output, List.of());
    }
    List<ToolCall> calls = new ArrayList<>();
    int at = first;
    while (at >= 0) {
      int bodyStart = at + CALL_OPENING.length();
      int close = output.indexOf("\n" + CLOSING, bodyStart);
      if (close < 0) {
        return new Parsed(output, List.of());
      }
      ToolCall call = call(output.substring(bodyStart, close));
      if (call == null) {
        return new Parsed(output, List.of());
      }
      calls.add(call);
      at = output.indexOf(CALL_OPENING, close + 1 + CLOSING.length());
    }
    String content = output.substring(0, first).strip();
    return new Parsed(content.isEmpty() ? null : content, calls);
  }

  private static @Nullable ToolCall call(String body) {
    JsonElement json;
    try {
      json = StrictJson.parse(body.strip(), "a tool call", IllegalArgumentException::new);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (!(json instanceof JsonObject o) || !(o.get("name") instanceof JsonPrimitive name) || !name.isString()
        || !(o.get("arguments") instanceof JsonObject arguments)) {
      return null;
    }
    return new ToolCall(newCallId(), name.getAsString(), arguments.toString());
  }

  /** A call id in OpenAI's form: {@code call_} and 24 letters and digits. */
  public static String newCallId() {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder id = new StringBuilder("call_");
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < 24; i++) {
      id.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return id.toString();
  }
}
