package dev.gemma4j.server.internal;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;

/**
 * One parsed generation request.
 *
 * @param operation chat or text completion
 * @param prompt what to generate from
 * @param config how; its length is the request's {@code max_tokens} when {@code maxTokensGiven}
 * @param maxTokensGiven whether the request set {@code max_tokens} or {@code max_completion_tokens}
 * @param stream answer with server-sent events
 * @param includeUsage stream a last chunk with the token usage ({@code stream_options.include_usage})
 * @param continuousUsage put the usage so far in every chunk ({@code stream_options.continuous_usage_stats})
 * @param returnTokenIds add the prompt's and the generated token ids (vLLM's {@code return_token_ids})
 * @param toolCalls the request offers tools: the output is parsed for calls ({@code message.tool_calls})
 * @param n how many choices to generate for the prompt
 */
public record CompletionRequest(
    Operation operation,
    Prompt prompt,
    GenerationConfig config,
    boolean maxTokensGiven,
    boolean stream,
    boolean includeUsage,
    boolean continuousUsage,
    boolean returnTokenIds,
    boolean toolCalls,
    int n) {

  /** This request with its length settled. */
  public CompletionRequest withMaxTokens(int maxTokens) {
    return new CompletionRequest(
        operation, prompt, config.toBuilder().maxNewTokens(maxTokens).build(), true, stream, includeUsage,
        continuousUsage, returnTokenIds, toolCalls, n);
  }
}
