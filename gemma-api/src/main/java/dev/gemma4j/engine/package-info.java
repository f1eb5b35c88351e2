/**
 * The sizes of the batching engine and its KV cache ({@link dev.gemma4j.engine.EngineOptions}) and what it
 * reports ({@link dev.gemma4j.engine.EngineStats}). The engine itself is internal.
 */
@NullMarked
package dev.gemma4j.engine;

import org.jspecify.annotations.NullMarked;
