/** Reading checkpoints in Hugging Face format: safetensors files, sharded or not, memory-mapped. */
@NullMarked
package dev.gemma4j.checkpoint;

import org.jspecify.annotations.NullMarked;
