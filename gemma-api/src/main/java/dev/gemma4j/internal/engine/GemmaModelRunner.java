package dev.gemma4j.internal.engine;

import dev.gemma4j.GemmaException;
import dev.gemma4j.TopLogits;
import dev.gemma4j.internal.model.ForwardBatch;
import dev.gemma4j.internal.model.ForwardResult;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.engine.DeviceCounters;
import dev.gemma4j.spi.KvCache;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** The {@link ModelRunner} of a loaded model and the KV cache it owns. */
final class GemmaModelRunner implements ModelRunner {
  private final DecoderModel<?> model;
  private final KvCache cache;
  private final Supplier<Optional<Path>> changedWeights;
  private final Supplier<DeviceCounters> counters;
  private final BlockTableMirror tables = new BlockTableMirror();

  /**
   * @param changedWeights names a memory-mapped weight file that changed on disk since it was mapped, if
   *     one did: reading such a file faults, and the fault is reported as that
   * @param counters the backend's device counters
   */
  GemmaModelRunner(
      DecoderModel<?> model, KvCache cache, Supplier<Optional<Path>> changedWeights, Supplier<DeviceCounters> counters) {
    this.model = model;
    this.cache = cache;
    this.changedWeights = changedWeights;
    this.counters = counters;
  }

  @Override
  public boolean samplesOnDevice() {
    return model.ops().samplesOnDevice();
  }

  @Override
  public DeviceCounters counters() {
    return counters.get();
  }

  @Override
  public int vocabSize() {
    return model.config().vocabSize();
  }

  @Override
  public StepOutput execute(List<ScheduledChunk> chunks, List<Long> finished) {
    tables.drop(finished);
    ForwardBatch.Builder batch = ForwardBatch.builder(cache.spec());
    for (ScheduledChunk chunk : chunks) {
      int[][] blockTables = tables.apply(chunk.requestId(), chunk.tables());
      ScheduledChunk.Sample sample = chunk.sample();
      if (sample == null) {
        batch.add(chunk.tokens(), chunk.start(), blockTables, ForwardBatch.Logits.NONE);
        continue;
      }
      switch (sample.mode()) {
        case DEVICE_DRAW -> batch.addSampled(chunk.tokens(), chunk.start(), blockTables,
            java.util.Objects.requireNonNull(sample.draw(), "a device draw"));
        case DEVICE_ARGMAX -> batch.add(chunk.tokens(), chunk.start(), blockTables, ForwardBatch.Logits.LAST_GREEDY);
        case HOST_LOGITS -> batch.add(chunk.tokens(), chunk.start(), blockTables, ForwardBatch.Logits.LAST_HOST);
      }
    }
    // Checked before the step reads anything: HotSpot turns a fault of a Vector API load from a truncated
    // mapping into a crash, not an exception, so a change must be caught before the kernels read.
    changedWeights.get().ifPresent(changed -> {
      throw weightsChanged(changed, "its size or modification time changed", null);
    });
    ForwardResult result;
    try {
      result = model.forward(batch.build(), cache);
    } catch (InternalError fault) {
      Optional<Path> changed = changedWeights.get();
      if (changed.isEmpty()) {
        throw fault;
      }
      throw weightsChanged(changed.get(), fault.getMessage(), fault);
    }
    int count = chunks.size();
    int[] greedy = new int[count];
    float[][] logits = new float[count][];
    TopLogits[] top = new TopLogits[count];
    int logitRow = 0;
    int hostRow = 0;
    for (int i = 0; i < count; i++) {
      ScheduledChunk.Sample sample = chunks.get(i).sample();
      greedy[i] = -1;
      if (sample == null) {
        continue;
      }
      top[i] = result.topLogits()[logitRow];
      greedy[i] = result.greedyIds()[logitRow++];
      if (sample.mode() == SamplingMode.HOST_LOGITS) {
        logits[i] = result.hostRow(hostRow++);
      }
    }
    return new StepOutput(greedy, logits, top);
  }

  private static GemmaException weightsChanged(
      Path file, String detail, @org.jspecify.annotations.Nullable Throwable cause) {
    return new GemmaException(
        "the checkpoint file " + file + " was truncated or rewritten while the model had it mapped, so its weights"
            + " cannot be read (" + detail + "); a loaded checkpoint must not change: restore the file and open the"
            + " model again",
        cause);
  }

  @Override
  public void close() {
    try {
      cache.close();
    } finally {
      model.close();
    }
  }
}
