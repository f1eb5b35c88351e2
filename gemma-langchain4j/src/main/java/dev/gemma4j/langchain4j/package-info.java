/**
 * Gemma models as LangChain4j models: {@link dev.gemma4j.langchain4j.GemmaChatModel},
 * {@link dev.gemma4j.langchain4j.GemmaStreamingChatModel} and
 * {@link dev.gemma4j.langchain4j.GemmaTokenCountEstimator}, over any {@link dev.gemma4j.Gemma}, in this
 * process or remote.
 */
@NullMarked
package dev.gemma4j.langchain4j;

import org.jspecify.annotations.NullMarked;
