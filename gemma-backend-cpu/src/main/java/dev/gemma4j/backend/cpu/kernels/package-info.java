/**
 * The CPU backend's matrix and elementwise kernels: Java Vector API kernels for bf16, float32 and 4-bit
 * weights (scalar Java where the JVM does not enable the incubator module), and the native integer kernels for
 * 8-bit weights ({@code src/main/c}, shipped prebuilt for linux-x86_64) with a Java kernel that gives the same
 * bits. Not an API: the module exports this package only to gemma-api (which loads the vector kernels by name)
 * and to the benchmarks.
 */
@NullMarked
package dev.gemma4j.backend.cpu.kernels;

import org.jspecify.annotations.NullMarked;
