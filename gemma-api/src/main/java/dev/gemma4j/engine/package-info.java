/** The generation engine: the step loop that batches concurrent requests, the KV-cache bookkeeping and stop conditions. */
@NullMarked
package dev.gemma4j.engine;

import org.jspecify.annotations.NullMarked;
