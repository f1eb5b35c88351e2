package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.EmbeddingTable;

/** The embedding matrix in device memory, in the activation dtype; the output head multiplies by its transpose. */
final class NpuEmbeddingTable implements EmbeddingTable<NpuTensor> {
  private final NpuTensorOps ops;
  private final NpuTensor weight;

  NpuEmbeddingTable(NpuTensorOps ops, NpuTensor weight) {
    this.ops = ops;
    this.weight = weight;
  }

  @Override
  public NpuTensor lookup(int[] ids) {
    NpuTensor rows = ops.allocate(weight.dtype(), ids.length, weight.dim(1));
    ops.nn().run("aclnnEmbedding", weight, ops.uploadInts(ids), rows);
    return ops.as(rows, ops.activation());
  }

  @Override
  public NpuTensor project(NpuTensor hidden) {
    NpuTensor logits = ops.allocate(ops.activation(), hidden.dim(0), weight.dim(0));
    ops.nn().run("aclnnMm", hidden, weight.transposed(), logits, (byte) 0);
    return logits;
  }
}
