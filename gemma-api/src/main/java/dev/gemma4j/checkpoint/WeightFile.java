package dev.gemma4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/** A file of a checkpoint's weights, mapped: safetensors, or a GGUF file read as one. */
interface WeightFile extends AutoCloseable {
  Path path();

  /** Its tensors under the Hugging Face names the models read. */
  Map<String, TensorInfo> tensors();

  /** A read-only view of bytes {@code [offset, offset + length)} of a tensor's data. */
  MemorySegment segment(TensorInfo tensor, long offset, long length);

  /** Whether the file on disk is still the one mapped. */
  boolean unchanged();

  @Override
  void close();
}
