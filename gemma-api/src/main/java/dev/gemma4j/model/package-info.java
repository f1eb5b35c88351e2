/** The Gemma 2 architecture, written once against {@link dev.gemma4j.spi.TensorOps} so every backend runs the same sequence of operations. */
@NullMarked
package dev.gemma4j.model;

import org.jspecify.annotations.NullMarked;
