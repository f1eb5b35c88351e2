package dev.gemma4j.backend.npu;

import java.util.ArrayList;
import java.util.List;

/**
 * Device memory for one step's temporaries, bump-allocated from buffers kept across steps, so that
 * steady-state steps make no device allocation, in three regions: the step's own (what lives from before
 * the first layer to after the last: positions, attention plans, the head), and two for the layers, taken
 * in turn. Entering layer {@code i} reuses the region of layer {@code i - 2}: every operator runs in order
 * on one stream, and what layer {@code i - 2} made was last read by layer {@code i - 1}, so a step holds two
 * layers' temporaries at most, whatever the number of layers.
 *
 * <p>A region that needs more than its buffer holds takes the rest from separate allocations; when the step
 * ends, each buffer is regrown to what the step needed of it, so the next step of that size fits.
 * Temporaries live until {@link #reset()} (the step region's) or until their layer region is entered again;
 * the caller may only reset once the stream has drained.
 */
final class StepArena {
  /** CANN's operators want 32-byte aligned data; 512 is what its own caching allocator uses. */
  private static final long ALIGNMENT = 512;

  /** One buffer and what the current pass over it has taken. */
  private static final class Region {
    long base;
    long capacity;
    long used;
    /** Bytes asked of this region since it was last entered, overflow included. */
    long demand;
    /** The largest demand of one pass this step: the size the buffer is regrown to. */
    long needed;
  }

  private final AclRuntime runtime;
  private final Region step = new Region();
  private final Region[] layers = {new Region(), new Region()};
  private final List<Long> overflow = new ArrayList<>();
  private Region current = step;
  private long overflowBytes;
  private long peakBytes;

  StepArena(AclRuntime runtime) {
    this.runtime = runtime;
  }

  /** The address of {@code bytes} bytes of device memory, valid until its region is reused or reset. */
  long allocate(long bytes) {
    long aligned = Math.addExact(bytes, ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    Region r = current;
    r.demand += aligned;
    r.needed = Math.max(r.needed, r.demand);
    peakBytes = Math.max(peakBytes, step.demand + layers[0].demand + layers[1].demand);
    if (r.used + aligned <= r.capacity) {
      long address = r.base + r.used;
      r.used += aligned;
      return address;
    }
    long address = runtime.malloc(aligned);
    overflow.add(address);
    overflowBytes += aligned;
    return address;
  }

  /** Layer {@code layer} begins: its temporaries go to the region layer {@code layer - 2} used. */
  void enterLayer(int layer) {
    current = layers[layer % 2];
    current.used = 0;
    current.demand = 0;
  }

  /** The layers are done: what follows belongs to the step region. */
  void leaveLayers() {
    current = step;
  }

  /** Whether temporaries now go to a layer region (they are reused two layers later). */
  boolean inLayer() {
    return current != step;
  }

  /** Device bytes held by the arena now (its buffers and any overflow). */
  long heldBytes() {
    return step.capacity + layers[0].capacity + layers[1].capacity + overflowBytes;
  }

  /** The most temporary bytes one step has held at once since the arena was made. */
  long peakBytes() {
    return peakBytes;
  }

  /**
   * Frees this step's overflow and regrows each buffer to what the step needed of it; the stream must be
   * idle.
   *
   * @return whether a buffer moved (every address it gave out changes)
   */
  boolean reset() {
    overflow.forEach(runtime::free);
    overflow.clear();
    overflowBytes = 0;
    boolean moved = false;
    for (Region r : new Region[] {step, layers[0], layers[1]}) {
      if (r.needed > r.capacity) {
        if (r.base != 0) {
          runtime.free(r.base);
          r.base = 0;
          r.capacity = 0;
        }
        r.base = runtime.malloc(r.needed);
        r.capacity = r.needed;
        moved = true;
      }
      r.used = 0;
      r.demand = 0;
      r.needed = 0;
    }
    current = step;
    return moved;
  }

  /** Frees everything; the stream must be idle. */
  void close() {
    overflow.forEach(runtime::free);
    overflow.clear();
    overflowBytes = 0;
    for (Region r : new Region[] {step, layers[0], layers[1]}) {
      if (r.base != 0) {
        runtime.free(r.base);
        r.base = 0;
      }
      r.capacity = 0;
    }
    current = step;
  }
}
