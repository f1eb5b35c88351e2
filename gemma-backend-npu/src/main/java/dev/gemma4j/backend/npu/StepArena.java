package dev.gemma4j.backend.npu;

import java.util.ArrayList;
import java.util.List;

/**
 * Device memory for one step's temporaries, bump-allocated from one buffer so that steady-state steps make
 * no device allocation. A step that needs more than the buffer holds takes the rest from separate
 * allocations; when it ends, the buffer is regrown to what that step needed, so the next step of that size
 * fits. Temporaries live until {@link #reset()}, which the caller may only call once the stream has drained.
 */
final class StepArena {
  /** CANN's operators want 32-byte aligned data; 512 is what its own caching allocator uses. */
  private static final long ALIGNMENT = 512;

  private final AclRuntime runtime;
  private final List<Long> overflow = new ArrayList<>();
  private long base;
  private long capacity;
  private long used;
  private long needed;
  private long overflowBytes;

  StepArena(AclRuntime runtime) {
    this.runtime = runtime;
  }

  /** The address of {@code bytes} bytes of device memory, valid until the next {@link #reset()}. */
  long allocate(long bytes) {
    long aligned = Math.addExact(bytes, ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    needed += aligned;
    if (used + aligned <= capacity) {
      long address = base + used;
      used += aligned;
      return address;
    }
    long address = runtime.malloc(aligned);
    overflow.add(address);
    overflowBytes += aligned;
    return address;
  }

  /** Device bytes held by the arena now (its buffer and any overflow). */
  long heldBytes() {
    return capacity + overflowBytes;
  }

  /**
   * Frees this step's overflow and regrows the buffer to what the step needed; the stream must be idle.
   *
   * @return whether the buffer moved (every address it gave out changes)
   */
  boolean reset() {
    overflow.forEach(runtime::free);
    overflow.clear();
    overflowBytes = 0;
    if (needed > capacity) {
      if (base != 0) {
        runtime.free(base);
        base = 0;
        capacity = 0;
      }
      base = runtime.malloc(needed);
      capacity = needed;
      used = 0;
      needed = 0;
      return true;
    }
    used = 0;
    needed = 0;
    return false;
  }

  /** Frees everything; the stream must be idle. */
  void close() {
    overflow.forEach(runtime::free);
    overflow.clear();
    overflowBytes = 0;
    if (base != 0) {
      runtime.free(base);
      base = 0;
    }
    capacity = 0;
  }
}
