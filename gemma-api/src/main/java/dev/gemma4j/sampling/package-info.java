/** Token selection from a row of logits: greedy and seeded random sampling with temperature, top-k, top-p, min-p and repetition penalty. */
@NullMarked
package dev.gemma4j.sampling;

import org.jspecify.annotations.NullMarked;
