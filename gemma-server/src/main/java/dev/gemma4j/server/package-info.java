/**
 * An OpenAI-compatible HTTP server over a {@link dev.gemma4j.Gemma}: {@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/models}, {@code /health} and {@code /metrics}. Start one with
 * {@link dev.gemma4j.server.GemmaServer#start}; the {@code gemma serve} command is a thin layer on it.
 */
@NullMarked
package dev.gemma4j.server;

import org.jspecify.annotations.NullMarked;
