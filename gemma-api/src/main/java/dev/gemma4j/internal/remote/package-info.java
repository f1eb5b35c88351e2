/**
 * Internal, not API: the remote engine, which runs {@link dev.gemma4j.Gemma}'s API over OpenAI-compatible
 * servers ({@code gemma serve}, vLLM, vllm-ascend, SGLang, MindIE) on the JDK's {@code HttpClient}.
 */
@NullMarked
package dev.gemma4j.internal.remote;

import org.jspecify.annotations.NullMarked;
