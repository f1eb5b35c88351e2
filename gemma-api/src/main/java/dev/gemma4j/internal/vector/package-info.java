/**
 * Internal, not API: kernels written with the Java Vector API and the switch that loads them only when
 * {@code jdk.incubator.vector} is enabled. This package may change in any release.
 */
@NullMarked
package dev.gemma4j.internal.vector;

import org.jspecify.annotations.NullMarked;
