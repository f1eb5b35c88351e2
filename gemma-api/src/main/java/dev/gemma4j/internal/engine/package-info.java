/**
 * Internal, not API: the local engine behind {@link dev.gemma4j.Gemma}. A {@code Scheduler} plans each
 * step (admission, KV blocks, prefix reuse, preemption, chunked prefill), a {@code ModelRunner} executes
 * the plan on a backend, and an {@code OutputProcessor} turns its result into tokens, text and finished
 * requests, which are delivered to their consumers off the engine thread. This package may change in any
 * release.
 */
@NullMarked
package dev.gemma4j.internal.engine;

import org.jspecify.annotations.NullMarked;
