package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.tools.ToolCallTextFilter;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Gemma} as a LangChain4j {@link StreamingChatModel}: text arrives as it is generated, on a
 * thread of its request. {@link StreamingHandle#cancel()} (from the context of a partial response)
 * cancels the generation; no callback follows it. Mapping as in {@link GemmaChatModel}.
 */
public final class GemmaStreamingChatModel extends GemmaModelBase implements StreamingChatModel {

  private GemmaStreamingChatModel(Builder builder) {
    super(builder);
  }

  /** A builder; {@link Builder#gemma(Gemma)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
    GenerationHandle generation;
    StreamHandle handle = new StreamHandle();
    try {
      GenerationConfig config = settings.config(request.parameters());
      // With tools, the text of a call is not streamed: the call arrives parsed in the complete response.
      ToolCallTextFilter visible = ChatMapping.tools(request.parameters()).isEmpty() ? null : new ToolCallTextFilter();
      generation = settings.gemma().submit(ChatMapping.prompt(request.messages(), ChatMapping.tools(request.parameters())), config, event -> {
        String text = visible == null ? event.text() : visible.accept(event.text());
        if (!text.isEmpty() && !handle.isCancelled()) {
          handler.onPartialResponse(new PartialResponse(text), new PartialResponseContext(handle));
        }
      });
    } catch (RuntimeException e) {
      handler.onError(e);
      return;
    }
    handle.generation.set(generation);
    if (handle.isCancelled()) {
      generation.cancel();
    }
    generation.result().whenComplete((result, error) -> {
      if (handle.isCancelled()) {
        return;
      }
      if (error != null) {
        handler.onError(error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error);
      } else {
        handler.onCompleteResponse(ChatMapping.response(result, request));
      }
    });
  }

  /** Cancels its generation. */
  private static final class StreamHandle implements StreamingHandle {
    final AtomicReference<@Nullable GenerationHandle> generation = new AtomicReference<>();
    private volatile boolean cancelled;

    @Override
    public void cancel() {
      cancelled = true;
      GenerationHandle running = generation.get();
      if (running != null) {
        running.cancel();
      }
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }
  }

  /** Builds a {@link GemmaStreamingChatModel}. */
  public static final class Builder extends GemmaModelBuilder<Builder> {
    private Builder() {}

    /** Builds the model. */
    public GemmaStreamingChatModel build() {
      return new GemmaStreamingChatModel(this);
    }
  }
}
