package dev.gemma4j.spi;

import java.util.Arrays;

/**
 * The block tables of a step's sequences for one kind of layer, padded to one width as paged-attention
 * kernels take them: {@code entries[sequence * width + b]} is the cache block holding positions
 * {@code [b * blockSize, (b + 1) * blockSize)} of that sequence, or -1 where the sequence has no block
 * (past its end, or released by a sliding layer because no query can see it any more).
 *
 * @param width blocks per sequence
 * @param entries row-major {@code [sequences, width]}
 */
public record BlockTables(int width, int[] entries) {

  /** Checks the layout. */
  public BlockTables {
    if (width < 0 || (width == 0 ? entries.length != 0 : entries.length % width != 0)) {
      throw new IllegalArgumentException(entries.length + " entries do not form rows of " + width);
    }
  }

  /** Pads each sequence's table to the longest one with -1. */
  public static BlockTables of(int[][] tables) {
    int width = 0;
    for (int[] t : tables) {
      width = Math.max(width, t.length);
    }
    int[] entries = new int[tables.length * width];
    Arrays.fill(entries, -1);
    for (int s = 0; s < tables.length; s++) {
      System.arraycopy(tables[s], 0, entries, s * width, tables[s].length);
    }
    return new BlockTables(width, entries);
  }

  /** The block of {@code sequence} at table index {@code b}; -1 when absent. */
  public int block(int sequence, int b) {
    return b < width ? entries[sequence * width + b] : -1;
  }
}
