/**
 * The deployment check: is the device there, does the model load, how much memory, does it answer a few
 * prompts, how fast and how steadily does it generate.
 */
@NullMarked
package dev.gemma4j.check;

import org.jspecify.annotations.NullMarked;
