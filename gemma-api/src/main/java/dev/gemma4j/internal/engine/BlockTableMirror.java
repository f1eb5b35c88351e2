package dev.gemma4j.internal.engine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A runner's copy of its sequences' block tables, kept up to date from each step's {@link BlockTableChange}s
 * and dropped for the requests a step says have finished.
 */
final class BlockTableMirror {
  private final Map<Long, int[][]> tables = new HashMap<>();

  /** Applies a chunk's change and returns the sequence's tables now, one per group. */
  int[][] apply(long requestId, BlockTableChange change) {
    int groups = change.appended().length;
    int[][] current = change.restart() ? null : tables.get(requestId);
    if (current == null) {
      if (!change.restart()) {
        throw new IllegalStateException("request " + requestId + " has no block tables to change; its first change must"
            + " restart them");
      }
      current = new int[groups][0];
    }
    int[][] next = new int[groups][];
    for (int g = 0; g < groups; g++) {
      int[] table = Arrays.copyOf(current[g], current[g].length + change.appended()[g].length);
      System.arraycopy(change.appended()[g], 0, table, current[g].length, change.appended()[g].length);
      Arrays.fill(table, 0, Math.min(change.released()[g], table.length), -1);
      next[g] = table;
    }
    tables.put(requestId, next);
    return next;
  }

  /** Forgets the tables of requests that will not run again. */
  void drop(List<Long> finished) {
    finished.forEach(tables::remove);
  }

  /** Sequences whose tables are kept. */
  int size() {
    return tables.size();
  }
}
