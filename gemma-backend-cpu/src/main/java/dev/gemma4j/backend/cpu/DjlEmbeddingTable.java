package dev.gemma4j.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.gemma4j.spi.EmbeddingTable;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedding matrix split into row chunks of at most 1 GiB (a direct buffer holds at most 2 GiB and
 * a 27B embedding is 4.7 GB in float32). Lookups gather per chunk; the output head multiplies by every
 * chunk and concatenates the logits.
 */
final class DjlEmbeddingTable implements EmbeddingTable<NDArray> {
  private final DjlTensorOps ops;
  private final List<NDArray> chunks;
  private final List<NDArray> transposedChunks;
  private final int rowsPerChunk;

  DjlEmbeddingTable(DjlTensorOps ops, List<NDArray> chunks, int rowsPerChunk) {
    this.ops = ops;
    this.chunks = List.copyOf(chunks);
    this.transposedChunks = chunks.stream().map(NDArray::transpose).toList();
    this.rowsPerChunk = rowsPerChunk;
  }

  @Override
  public NDArray lookup(int[] ids) {
    if (chunks.size() == 1) {
      return ops.own(chunks.getFirst().get(ops.stepManager().create(toLongs(ids, 0, ids.length))));
    }
    NDList rows = new NDList();
    for (int id : ids) {
      NDArray chunk = chunks.get(id / rowsPerChunk);
      rows.add(ops.own(chunk.get(id % rowsPerChunk)).expandDims(0));
    }
    return NDArrays.concat(rows, 0);
  }

  @Override
  public NDArray project(NDArray hidden) {
    List<NDArray> parts = new ArrayList<>();
    for (NDArray chunk : transposedChunks) {
      parts.add(ops.round(hidden.matMul(chunk)));
    }
    return parts.size() == 1 ? parts.getFirst() : NDArrays.concat(new NDList(parts), 1);
  }

  private static long[] toLongs(int[] values, int from, int to) {
    long[] out = new long[to - from];
    for (int i = from; i < to; i++) {
      out[i - from] = values[i];
    }
    return out;
  }
}
