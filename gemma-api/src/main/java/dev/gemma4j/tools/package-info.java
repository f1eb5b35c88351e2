/**
 * Tool (function) calling: {@link dev.gemma4j.tools.Tool} describes a function, {@link
 * dev.gemma4j.tools.ToolChoice} says whether the model must call one, {@link dev.gemma4j.tools.ToolCalling}
 * renders tools into the prompt, constrains the calls ({@link dev.gemma4j.ResponseFormat#toolCalls}) and
 * parses them back into {@link dev.gemma4j.tools.ToolCall}s.
 */
@NullMarked
package dev.gemma4j.tools;

import org.jspecify.annotations.NullMarked;
