package dev.gemma4j.backend.cpu;

import dev.gemma4j.spi.MemoryProbe;
import dev.gemma4j.engine.MemorySnapshot;
import dev.gemma4j.spi.TensorOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Host memory from Linux's {@code /proc}: the process's resident set ({@code VmRSS}) and its high-water
 * mark ({@code VmHWM}, reset through {@code /proc/self/clear_refs}), the machine's total and available
 * memory, the JVM heap, and the bytes the backend holds for weights and KV cache. On systems without
 * {@code /proc} the process figures fall back to the JVM's view.
 */
final class CpuMemoryProbe implements MemoryProbe {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path MEMINFO = Path.of("/proc/meminfo");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private final String device;
  private final TensorOps<?> ops;
  private long peakFallback;

  CpuMemoryProbe(String device, TensorOps<?> ops) {
    this.device = device;
    this.ops = ops;
  }

  @Override
  public MemorySnapshot snapshot() {
    Runtime runtime = Runtime.getRuntime();
    long heapUsed = runtime.totalMemory() - runtime.freeMemory();
    List<String> status = lines(STATUS);
    List<String> meminfo = lines(MEMINFO);
    long rss = kilobytes(status, "VmRSS:");
    long hwm = kilobytes(status, "VmHWM:");
    if (rss <= 0) {
      rss = runtime.totalMemory();
    }
    peakFallback = Math.max(peakFallback, rss);
    long peak = hwm > 0 ? Math.max(hwm, rss) : peakFallback;
    long total = kilobytes(meminfo, "MemTotal:");
    long available = kilobytes(meminfo, "MemAvailable:");
    return new MemorySnapshot(
        device,
        total > 0 ? total : runtime.maxMemory(),
        available > 0 ? available : runtime.freeMemory(),
        rss,
        peak,
        ops.weightBytes(),
        ops.kvCacheBytes(),
        heapUsed);
  }

  @Override
  public void resetPeak() {
    peakFallback = 0;
    try {
      Files.writeString(CLEAR_REFS, "5");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // Not Linux, or not permitted: the peak then stays the process's lifetime peak.
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | SecurityException e) {
      return List.of();
    }
  }

  private static long kilobytes(List<String> lines, String key) {
    for (String line : lines) {
      if (line.startsWith(key)) {
        String[] parts = line.substring(key.length()).trim().split("\\s+");
        try {
          return Long.parseLong(parts[0]) * 1024;
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }
}
