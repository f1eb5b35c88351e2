package dev.gemma4j.model;

import dev.gemma4j.config.LayerType;
import dev.gemma4j.spi.SequenceAttention;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a batch of chunks maps onto one activation matrix: row ranges, positions, the rows whose logits
 * are wanted, and each sequence's attention plan for sliding and full layers.
 */
record StepLayout(
    int[] tokens,
    int[] positions,
    int[] logitRows,
    int[] logitRowsPerChunk,
    List<SequenceAttention> sliding,
    List<SequenceAttention> full) {

  static StepLayout of(List<SequenceChunk> chunks, int window) {
    int rows = chunks.stream().mapToInt(c -> c.tokens().length).sum();
    int[] tokens = new int[rows];
    int[] positions = new int[rows];
    List<Integer> logitRows = new ArrayList<>();
    int[] perChunk = new int[chunks.size()];
    List<SequenceAttention> sliding = new ArrayList<>();
    List<SequenceAttention> full = new ArrayList<>();
    int row = 0;
    for (int c = 0; c < chunks.size(); c++) {
      SequenceChunk chunk = chunks.get(c);
      int n = chunk.tokens().length;
      System.arraycopy(chunk.tokens(), 0, tokens, row, n);
      for (int i = 0; i < n; i++) {
        positions[row + i] = chunk.startPosition() + i;
      }
      int from = chunk.allLogits() ? 0 : n - 1;
      for (int i = from; i < n; i++) {
        logitRows.add(row + i);
      }
      perChunk[c] = n - from;
      full.add(plan(chunk, row, chunk.fullSlots(), 0, 0, Integer.MAX_VALUE));
      int firstVisible = Math.max(0, chunk.startPosition() - window + 1);
      sliding.add(plan(chunk, row, chunk.slidingSlots(), chunk.slidingBase(), firstVisible, window));
      row += n;
    }
    return new StepLayout(
        tokens,
        positions,
        logitRows.stream().mapToInt(Integer::intValue).toArray(),
        perChunk,
        sliding,
        full);
  }

  /**
   * The attention plan of one chunk on one layer kind: keys at positions {@code [firstVisible, end)},
   * read from {@code slots[position - slotBase]}; query at position {@code p} sees key {@code k} when
   * {@code k <= p} and {@code k > p - window}.
   */
  private static SequenceAttention plan(
      SequenceChunk chunk, int rowStart, int[] slots, int slotBase, int firstVisible, int window) {
    int n = chunk.tokens().length;
    int start = chunk.startPosition();
    int end = chunk.endPosition();
    int keys = end - firstVisible;
    int[] keySlots = Arrays.copyOfRange(slots, firstVisible - slotBase, end - slotBase);
    int[] writeSlots = Arrays.copyOfRange(slots, start - slotBase, end - slotBase);
    boolean[] mask = new boolean[n * keys];
    for (int r = 0; r < n; r++) {
      int queryPosition = start + r;
      for (int j = 0; j < keys; j++) {
        int keyPosition = firstVisible + j;
        mask[r * keys + j] = keyPosition <= queryPosition && (long) keyPosition > (long) queryPosition - window;
      }
    }
    return new SequenceAttention(rowStart, n, writeSlots, keySlots, mask);
  }

  int rows() {
    return tokens.length;
  }

  List<SequenceAttention> attention(LayerType type) {
    return type == LayerType.SLIDING ? sliding : full;
  }

  List<float[]> splitLogits(float[] logits, int vocab) {
    List<float[]> out = new ArrayList<>();
    int offset = 0;
    for (int count : logitRowsPerChunk) {
      out.add(Arrays.copyOfRange(logits, offset, offset + count * vocab));
      offset += count * vocab;
    }
    return out;
  }
}
