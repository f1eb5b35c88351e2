/**
 * The sizes of the batching engine and its KV cache ({@link dev.gemma4j.engine.EngineOptions}) and what an
 * application reads of it: its statistics ({@link dev.gemma4j.engine.EngineStats}), the model and device it runs
 * ({@link dev.gemma4j.engine.EngineInfo}), memory ({@link dev.gemma4j.engine.MemorySnapshot}) and device work
 * ({@link dev.gemma4j.engine.DeviceCounters}). The engine itself is internal; backends implement
 * {@link dev.gemma4j.spi}.
 */
@NullMarked
package dev.gemma4j.engine;

import org.jspecify.annotations.NullMarked;
