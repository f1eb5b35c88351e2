/**
 * The gemma4j facade and its immutable request and result types.
 *
 * <p>Start with {@link dev.gemma4j.Gemma#open(String)}.
 */
@NullMarked
package dev.gemma4j;

import org.jspecify.annotations.NullMarked;
