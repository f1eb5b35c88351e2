package dev.gemma4j.backend.cpu.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gemma4j's native kernels ({@code src/main/c/gemma4j_kernels.c}), shipped prebuilt in this jar for
 * linux-x86_64 and called through {@code java.lang.foreign}: integer dot products that the Java Vector API cannot
 * express (it has no 8-bit multiply-add to 32 bits; the float kernels it allows are compute-bound at 8 bits a
 * weight, see docs/backends.md). The library picks AVX-512 VNNI, AVX2 or a portable loop at run time; where it
 * does not load (another platform, {@code -Dgemma4j.native=false}) the Java kernels give the same results.
 */
final class NativeKernels {
  private static final Logger LOG = LoggerFactory.getLogger(NativeKernels.class);
  /** Set to {@code false} to run the Java kernels only. */
  static final String PROPERTY = "gemma4j.native";
  private static final String RESOURCE = "native/linux-x86_64/libgemma4j_kernels.so";
  private static final Optional<NativeKernels> LOADED = load();

  private final MethodHandle int8Rows;
  private final int level;
  private final String sourceSha256;

  private NativeKernels(SymbolLookup library) {
    Linker linker = Linker.nativeLinker();
    // critical: the Java arrays are passed in place (no copy), and the calls are short
    this.int8Rows = linker.downcallHandle(
        library.findOrThrow("g4j_int8_rows"),
        FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
        Linker.Option.critical(true));
    MethodHandle levelHandle = linker.downcallHandle(library.findOrThrow("g4j_level"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    MethodHandle shaHandle = linker.downcallHandle(library.findOrThrow("g4j_source_sha256"), FunctionDescriptor.of(ValueLayout.ADDRESS));
    try {
      this.level = (int) levelHandle.invokeExact();
      this.sourceSha256 = ((MemorySegment) shaHandle.invokeExact()).reinterpret(65).getString(0);
    } catch (Throwable e) {
      throw new IllegalStateException("the native kernels did not answer", e);
    }
  }

  /** The kernels, when this platform has them and they loaded. */
  static Optional<NativeKernels> loaded() {
    return LOADED;
  }

  private static Optional<NativeKernels> load() {
    if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
      LOG.info("native kernels off (-D{}=false): the Java kernels run", PROPERTY);
      return Optional.empty();
    }
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      LOG.info("no native kernels for {} {}: the Java kernels run", os, arch);
      return Optional.empty();
    }
    try (InputStream in = NativeKernels.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        LOG.warn("the native kernels are missing from the jar ({}): the Java kernels run", RESOURCE);
        return Optional.empty();
      }
      Path file = Files.createTempFile("gemma4j-kernels-", ".so");
      file.toFile().deleteOnExit();
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      NativeKernels kernels = new NativeKernels(SymbolLookup.libraryLookup(file, Arena.global()));
      LOG.debug("native kernels loaded: {}", levelName(kernels.level));
      return Optional.of(kernels);
    } catch (IOException | RuntimeException | LinkageError e) {
      LOG.warn("the native kernels did not load ({}): the Java kernels run", e.toString());
      return Optional.empty();
    }
  }

  /** The instruction set the library chose here: 2 AVX-512 VNNI, 1 AVX2, 0 its portable loop. */
  int level() {
    return level;
  }

  /** The SHA-256 of the C source the library was built from. */
  String sourceSha256() {
    return sourceSha256;
  }

  static String levelName(int level) {
    return switch (level) {
      case 2 -> "AVX-512 VNNI";
      case 1 -> "AVX2";
      default -> "portable C";
    };
  }

  /** {@code g4j_int8_rows}: see {@link Int8MatVec} and the C source. */
  void int8Rows(int level, MemorySegment q, float[] scales, int in, int rows, byte[] xq, float[] xd, int from, int to,
      float[] y, int yStride) {
    if (level < 0 || level > this.level) {
      throw new IllegalArgumentException("level " + level + " is not available here (at most " + this.level + ")");
    }
    try {
      int8Rows.invokeExact(level, q, MemorySegment.ofArray(scales), in, rows, MemorySegment.ofArray(xq),
          MemorySegment.ofArray(xd), from, to, MemorySegment.ofArray(y), yStride);
    } catch (Throwable e) {
      throw new IllegalStateException("the native int8 kernel failed", e);
    }
  }
}
