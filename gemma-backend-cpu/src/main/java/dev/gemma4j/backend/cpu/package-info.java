/**
 * The CPU backend: the tensor operations of the Gemma 2 architecture on gemma4j's own Java Vector API
 * kernels ({@code kernels}), reading bf16 and float32 weights in place from the memory-mapped checkpoint,
 * with DJL's PyTorch engine for attention over long prompt chunks.
 *
 * <p>DJL 0.36 aborts the JVM as soon as a bfloat16 NDArray exists on the CPU, so no bfloat16 tensor is ever
 * handed to PyTorch: what goes to it is float32.
 */
@NullMarked
package dev.gemma4j.backend.cpu;

import org.jspecify.annotations.NullMarked;
