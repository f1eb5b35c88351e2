package dev.gemma4j.backend.cpu;

import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.spi.EmbeddingTable;

/**
 * The embedding matrix {@code [vocab, hidden]} in the checkpoint's dtype, in place: a lookup widens the
 * few rows asked for, and the output head (the largest single read of a decode step: 1.2 GB for Gemma 2's
 * 256000 x 2304 in bf16) is a matrix product over the same bytes.
 */
final class CpuEmbeddingTable implements EmbeddingTable<CpuTensor> {
  private final CpuTensorOps ops;
  private final WeightMatrix table;

  CpuEmbeddingTable(CpuTensorOps ops, WeightMatrix table) {
    this.ops = ops;
    this.table = table;
  }

  @Override
  public CpuTensor lookup(int[] ids) {
    CpuTensor rows = CpuTensor.zeros(ids.length, table.columns());
    for (int i = 0; i < ids.length; i++) {
      table.widenRow(ids[i], rows.data(), i * table.columns());
    }
    return rows;
  }

  @Override
  public CpuTensor project(CpuTensor hidden) {
    return ops.multiply(hidden, table);
  }
}
