package dev.gemma4j.internal.engine;

import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.DeviceCounters;

/**
 * Executes a step plan on a model: builds the batch (tokens, positions, block tables), runs the forward
 * pass over the KV cache it owns, and returns what the output step needs. The engine's one seam to the
 * device: the scheduler and the output step are tested against fakes of it.
 */
interface ModelRunner extends AutoCloseable {

  /** The result of one step: for each chunk of the plan, in order, a greedy id or a row of logits. */
  record StepOutput(int[] greedyIds, float[][] logits) {

    /** The host logits of chunk {@code i}, or {@code null} when the device chose its token. */
    float[] logits(int i) {
      return logits[i];
    }

    /** The device's choice for chunk {@code i}: a token id, or -1 when its logits were not finite. */
    int greedyId(int i) {
      return greedyIds[i];
    }
  }

  /** Tokens of the vocabulary: every valid id is below it. */
  int vocabSize();

  /**
   * Runs the plan's chunks as one batch.
   *
   * @throws RuntimeException when the device fails; the engine then fails this step's requests only
   */
  StepOutput execute(StepPlan plan);

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
