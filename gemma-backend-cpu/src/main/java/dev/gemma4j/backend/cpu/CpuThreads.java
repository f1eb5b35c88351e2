package dev.gemma4j.backend.cpu;

import dev.gemma4j.GemmaException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many threads the CPU backend computes with, and how PyTorch's OpenMP pool behaves next to them.
 * By default one thread per physical core (hyperthreads share a core's load and FMA units, so a second
 * thread per core only contends for them); at most the processors this process may use.
 */
final class CpuThreads {
  private static final Logger LOG = LoggerFactory.getLogger(CpuThreads.class);

  private CpuThreads() {}

  /**
   * The threads to use: {@code requested}, or one per physical core when it is 0.
   *
   * @throws GemmaException when more threads are requested than this process has processors
   */
  static int resolve(int requested) {
    int processors = Runtime.getRuntime().availableProcessors();
    if (requested > processors) {
      throw new GemmaException(
          "threads = " + requested + " but this process can use " + processors + " processors; ask for at most "
              + processors + " (GemmaOptions.threads), or 0 for one per physical core (" + physicalCores(processors) + " here)");
    }
    return requested > 0 ? requested : physicalCores(processors);
  }

  /** Physical cores (distinct core ids per package in /proc/cpuinfo), at most {@code processors}. */
  static int physicalCores(int processors) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      Set<String> cores = new HashSet<>();
      String physical = "0";
      for (String line : lines) {
        if (line.startsWith("physical id")) {
          physical = line.substring(line.indexOf(':') + 1).trim();
        } else if (line.startsWith("core id")) {
          cores.add(physical + "/" + line.substring(line.indexOf(':') + 1).trim());
        }
      }
      return cores.isEmpty() ? processors : Math.max(1, Math.min(processors, cores.size()));
    } catch (IOException | RuntimeException e) {
      return processors;
    }
  }

  /**
   * Makes PyTorch's OpenMP threads sleep as soon as a parallel region ends instead of spinning for a while
   * ({@code OMP_WAIT_POLICY=PASSIVE}), so they leave the cores to our kernel threads, which run between
   * PyTorch's operations. Must run before PyTorch's native library loads; a value the user set wins.
   */
  static void quietOpenMp() {
    if (System.getenv("OMP_WAIT_POLICY") != null) {
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      Linker linker = Linker.nativeLinker();
      MethodHandle setenv =
          linker.downcallHandle(
              linker.defaultLookup().find("setenv").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
      MemorySegment name = arena.allocateFrom("OMP_WAIT_POLICY");
      MemorySegment value = arena.allocateFrom("PASSIVE");
      int status = (int) setenv.invokeExact(name, value, 0);
      if (status != 0) {
        LOG.debug("setenv(OMP_WAIT_POLICY) returned {}", status);
      }
    } catch (Throwable t) {
      LOG.debug("could not set OMP_WAIT_POLICY: {}", t.toString());
    }
  }
}
