/**
 * The CPU backend: the tensor operations of the Gemma 2 architecture on DJL's PyTorch engine.
 *
 * <p>DJL 0.36 aborts the JVM as soon as a bfloat16 NDArray exists on the CPU, so bfloat16 and float16
 * checkpoints are widened to float32 in Java while loading (weights then take twice their stored size);
 * no bfloat16 tensor is ever handed to PyTorch.
 */
@NullMarked
package dev.gemma4j.backend.cpu;

import org.jspecify.annotations.NullMarked;
