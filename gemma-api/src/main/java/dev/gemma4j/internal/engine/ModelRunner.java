package dev.gemma4j.internal.engine;

import dev.gemma4j.TopLogits;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.engine.DeviceCounters;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Executes a step plan on a model: builds the batch (tokens, positions, block tables), runs the forward
 * pass over the KV cache it owns, and returns what the output step needs. The engine's one seam to the
 * device: the scheduler and the output step are tested against fakes of it.
 */
interface ModelRunner extends AutoCloseable {

  /**
   * The result of one step: for each chunk of the plan, in order, a token chosen on the device (with the
   * top logits a device draw brought back) or a row of logits.
   */
  record StepOutput(int[] greedyIds, float[][] logits, @Nullable TopLogits[] topLogits) {

    /** An output without device-drawn top logits. */
    StepOutput(int[] greedyIds, float[][] logits) {
      this(greedyIds, logits, new TopLogits[greedyIds.length]);
    }

    /** The host logits of chunk {@code i}, or {@code null} when the device chose its token. */
    float[] logits(int i) {
      return logits[i];
    }

    /** The device's choice for chunk {@code i}: a token id, or -1 when its logits were not finite. */
    int greedyId(int i) {
      return greedyIds[i];
    }

    /** The top logits the device brought back for chunk {@code i}, or {@code null}. */
    @Nullable TopLogits topLogits(int i) {
      return topLogits[i];
    }
  }

  /** Tokens of the vocabulary: every valid id is below it. */
  int vocabSize();

  /**
   * Runs a step's chunks as one batch. The chunks are plain data (tokens, positions, block-table changes, how
   * to choose each next token): a runner never sees the engine's requests, and keeps each sequence's tables
   * itself ({@link BlockTableMirror}).
   *
   * @param finished requests removed since the last step, whose tables the runner can forget
   * @throws RuntimeException when the device fails; the engine then fails this step's requests only
   */
  StepOutput execute(List<ScheduledChunk> chunks, List<Long> finished);

  /** Whether the device draws sampled tokens itself (see {@link dev.gemma4j.spi.TensorOps#sampleRows}). */
  default boolean samplesOnDevice() {
    return false;
  }

  /** The device's counters so far (see {@link Backend#counters()}). */
  default DeviceCounters counters() {
    return DeviceCounters.NONE;
  }

  /** Frees the KV cache and the model. */
  @Override
  void close();
}
