package dev.gemma4j.spi;

/**
 * What one sequence of a batched step attends to, on one kind of layer.
 *
 * <p>The step's query rows {@code [rowStart, rowStart + rowCount)} belong to this sequence; their keys
 * and values are written to the cache slots {@code writeSlots} (one per row) before attention; each
 * query then reads the cache slots {@code keySlots} and may see key {@code j} only where
 * {@code mask[row * keySlots.length + j]} is true.
 *
 * @param rowStart first query row of this sequence in the step
 * @param rowCount query rows of this sequence
 * @param writeSlots cache slots that receive the rows' keys and values
 * @param keySlots cache slots read by the queries, in position order (they include {@code writeSlots})
 * @param mask row-major {@code [rowCount, keySlots.length]}: may query row {@code r} see key {@code j}
 */
public record SequenceAttention(
    int rowStart, int rowCount, int[] writeSlots, int[] keySlots, boolean[] mask) {}
