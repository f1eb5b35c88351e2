package dev.gemma4j.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Native memory whose pages are committed only when first written: an anonymous private mapping. A KV
 * cache sized for many long sequences then costs only what the sequences use ({@code Arena.allocate}
 * zero-fills, committing everything up front). Falls back to an arena's memory where {@code mmap} is not
 * available.
 */
final class LazyMemory {
  private static final int PROT_READ_WRITE = 0x1 | 0x2;
  private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  private static final Optional<MethodHandle> MMAP =
      LIBC.find("mmap").map(symbol -> LINKER.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.ADDRESS,
          ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
          ValueLayout.JAVA_LONG)));
  private static final Optional<MethodHandle> MUNMAP =
      LIBC.find("munmap").map(symbol -> LINKER.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT,
          ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)));

  private LazyMemory() {}

  /** {@code bytes} of zeroed memory, valid until {@code arena} closes. */
  static MemorySegment allocate(long bytes, Arena arena) {
    if (MMAP.isPresent() && MUNMAP.isPresent() && bytes > 0) {
      try {
        MemorySegment address =
            (MemorySegment) MMAP.get().invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
        if (address.address() != -1L && address.address() != 0L) {
          MethodHandle munmap = MUNMAP.get();
          return address.reinterpret(bytes, arena, segment -> unmap(munmap, segment, bytes));
        }
      } catch (Throwable t) {
        // fall through to the arena
      }
    }
    return arena.allocate(Math.max(1, bytes), 64);
  }

  private static void unmap(MethodHandle munmap, MemorySegment segment, long bytes) {
    try {
      int ignored = (int) munmap.invokeExact(segment, bytes);
    } catch (Throwable t) {
      throw new IllegalStateException("munmap failed", t);
    }
  }
}
