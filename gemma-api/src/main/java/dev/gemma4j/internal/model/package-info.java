/**
 * Internal, not API: the Gemma 2 architecture, written once against {@link dev.gemma4j.spi.TensorOps} so
 * every backend runs the same sequence of operations. Applications reach a model only through
 * {@link dev.gemma4j.Gemma}; this package may change in any release.
 */
@NullMarked
package dev.gemma4j.internal.model;

import org.jspecify.annotations.NullMarked;
