package dev.gemma4j.internal.model;

import dev.gemma4j.spi.AttentionBatch;
import dev.gemma4j.spi.BlockTables;
import dev.gemma4j.spi.SamplingRow;
import java.util.Arrays;

/**
 * The input of one forward step: the tokens of every sequence's chunk concatenated into one batch of
 * rows, their positions, the attention metadata (block tables and windows per KV-cache group, lengths),
 * and which rows' logits are wanted: {@code logitRows}, of which those listed in {@code hostRows} (indices into
 * {@code logitRows}) come back as whole rows of logits and the rest as token ids only: greedy, or drawn on
 * the device where {@code draws} says how.
 *
 * @param tokens token id of every row
 * @param positions position of every row in its sequence
 * @param attention what attention reads and writes
 * @param logitRows rows whose logits are computed, in order
 * @param hostRows indices into {@code logitRows} whose logits return to the host
 * @param draws per logit row, how the device draws its token, or {@code null} for the greedy choice
 */
public record ForwardBatch(
    int[] tokens, int[] positions, AttentionBatch attention, int[] logitRows, int[] hostRows, SamplingRow[] draws) {

  /** Whether any logit row is drawn on the device. */
  public boolean drawsOnDevice() {
    return Arrays.stream(draws).anyMatch(java.util.Objects::nonNull);
  }

  /** Checks that the arrays agree. */
  public ForwardBatch {
    if (tokens.length != positions.length || tokens.length != attention.rows()) {
      throw new IllegalArgumentException(tokens.length + " tokens, " + positions.length + " positions and "
          + attention.rows() + " attention rows must agree");
    }
  }

  /** Rows of the step. */
  public int rows() {
    return tokens.length;
  }

  /**
   * A builder of batches whose sequences are given by their chunk of tokens, the chunk's first position,
   * and their block tables: what tests and the model runner both use.
   */
  public static Builder builder(int blockSize, int[] windows) {
    return new Builder(blockSize, windows);
  }

  /** A builder for steps over a cache of {@code spec}'s groups. */
  public static Builder builder(dev.gemma4j.spi.KvCacheSpec spec) {
    return new Builder(spec.blockSize(), spec.groups().stream().mapToInt(dev.gemma4j.spi.KvCacheGroup::window).toArray());
  }

  /** Builds a {@link ForwardBatch} one sequence at a time. */
  public static final class Builder {
    private final int blockSize;
    private final int[] windows;
    private int[] tokens = new int[16];
    private int[] positions = new int[16];
    private int rows;
    private int sequences;
    private int[] queryStart = new int[9];
    private int[] contextLength = new int[8];
    private int[][][] tables = new int[8][][];
    private int[] logitRows = new int[8];
    private int logitCount;
    private int[] hostRows = new int[8];
    private int hostCount;
    private SamplingRow[] draws = new SamplingRow[8];

    private Builder(int blockSize, int[] windows) {
      this.blockSize = blockSize;
      this.windows = windows.clone();
    }

    /**
     * Adds a sequence's chunk: {@code chunk} at positions {@code [start, start + chunk.length)}.
     *
     * @param groupTables per KV-cache group, the blocks from position 0, -1 where a sliding group released one
     * @param logits which logits to compute for this chunk
     */
    public Builder add(int[] chunk, int start, int[][] groupTables, Logits logits) {
      return add(chunk, start, groupTables, logits, null);
    }

    /**
     * Adds a sequence's chunk whose last row's token the device draws as {@code draw} says (see
     * {@link dev.gemma4j.spi.TensorOps#sampleRows}).
     */
    public Builder addSampled(int[] chunk, int start, int[][] groupTables, SamplingRow draw) {
      return add(chunk, start, groupTables, Logits.LAST_GREEDY, java.util.Objects.requireNonNull(draw));
    }

    private Builder add(int[] chunk, int start, int[][] groupTables, Logits logits, SamplingRow draw) {
      if (chunk.length == 0) {
        throw new IllegalArgumentException("a chunk needs at least one token");
      }
      if (groupTables.length != windows.length) {
        throw new IllegalArgumentException(groupTables.length + " block tables for " + windows.length + " KV-cache groups");
      }
      ensureRows(rows + chunk.length);
      if (sequences == contextLength.length) {
        int capacity = sequences * 2;
        queryStart = Arrays.copyOf(queryStart, capacity + 1);
        contextLength = Arrays.copyOf(contextLength, capacity);
        tables = Arrays.copyOf(tables, capacity);
      }
      for (int i = 0; i < chunk.length; i++) {
        tokens[rows + i] = chunk[i];
        positions[rows + i] = start + i;
      }
      switch (logits) {
        case NONE -> {}
        case LAST_GREEDY -> {
          addLogitRow(rows + chunk.length - 1, false);
          draws[logitCount - 1] = draw;
        }
        case LAST_HOST -> addLogitRow(rows + chunk.length - 1, true);
        case ALL_HOST -> {
          for (int i = 0; i < chunk.length; i++) {
            addLogitRow(rows + i, true);
          }
        }
      }
      contextLength[sequences] = start + chunk.length;
      tables[sequences] = groupTables;
      rows += chunk.length;
      sequences++;
      queryStart[sequences] = rows;
      return this;
    }

    /** A sequence whose groups all share one block table (no block released). */
    public Builder add(int[] chunk, int start, int[] table, Logits logits) {
      int[][] same = new int[windows.length][];
      Arrays.fill(same, table);
      return add(chunk, start, same, logits);
    }

    private void addLogitRow(int row, boolean host) {
      if (logitCount == logitRows.length) {
        logitRows = Arrays.copyOf(logitRows, logitCount * 2);
        draws = Arrays.copyOf(draws, logitCount * 2);
      }
      if (host) {
        if (hostCount == hostRows.length) {
          hostRows = Arrays.copyOf(hostRows, hostCount * 2);
        }
        hostRows[hostCount++] = logitCount;
      }
      logitRows[logitCount++] = row;
    }

    private void ensureRows(int needed) {
      if (needed > tokens.length) {
        int size = Math.max(needed, tokens.length * 2);
        tokens = Arrays.copyOf(tokens, size);
        positions = Arrays.copyOf(positions, size);
      }
    }

    /** The batch. */
    public ForwardBatch build() {
      java.util.List<BlockTables> perGroup = new java.util.ArrayList<>();
      for (int g = 0; g < windows.length; g++) {
        int[][] group = new int[sequences][];
        for (int s = 0; s < sequences; s++) {
          group[s] = tables[s][g];
        }
        perGroup.add(BlockTables.of(group));
      }
      AttentionBatch attention =
          new AttentionBatch(
              blockSize,
              windows,
              Arrays.copyOf(queryStart, sequences + 1),
              Arrays.copyOf(contextLength, sequences),
              perGroup);
      return new ForwardBatch(
          Arrays.copyOf(tokens, rows),
          Arrays.copyOf(positions, rows),
          attention,
          Arrays.copyOf(logitRows, logitCount),
          Arrays.copyOf(hostRows, hostCount),
          Arrays.copyOf(draws, logitCount));
    }
  }

  /** Which logits a chunk needs. */
  public enum Logits {
    /** None: a prefill chunk that does not reach the prompt's end. */
    NONE,
    /** The last row's greedy id, chosen on the device. */
    LAST_GREEDY,
    /** The last row's logits, on the host (for sampling). */
    LAST_HOST,
    /** Every row's logits, on the host (scoring, golden checks). */
    ALL_HOST
  }
}
