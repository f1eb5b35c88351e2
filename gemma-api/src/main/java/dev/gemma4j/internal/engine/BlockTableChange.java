package dev.gemma4j.internal.engine;

/**
 * How one sequence's block tables changed since the last step that ran it, per KV-cache group: what a runner
 * keeping the tables (in this process, another device or a worker) applies, so a step sends a few block ids
 * instead of every sequence's whole tables.
 *
 * @param restart whether the runner drops what it had for the sequence first (its first step, or the first
 *     after it was preempted and its blocks freed)
 * @param appended per group, the blocks added at the end of its table
 * @param released per group, how many blocks from the start are now released (-1 in the table): a sliding
 *     group releases what its window left behind, always a prefix of the table
 */
record BlockTableChange(boolean restart, int[][] appended, int[] released) {}
