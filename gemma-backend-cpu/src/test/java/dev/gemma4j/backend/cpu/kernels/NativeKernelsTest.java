package dev.gemma4j.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The native kernels load where the jar ships them, and were built from the C source beside them. */
class NativeKernelsTest {

  @Test
  void loadOnLinuxX8664AndNowhereElse() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    boolean shipped = os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    assertEquals(shipped, NativeKernels.loaded().isPresent(), os + " " + arch);
    assertEquals(shipped, Int8MatVec.get() instanceof NativeInt8MatVec, Int8MatVec.get().toString());
  }

  @Test
  void theShippedLibraryWasBuiltFromTheSource() throws Exception {
    byte[] source = Files.readAllBytes(Path.of("src/main/c/gemma4j_kernels.c"));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(source));
    Assumptions.assumeTrue(NativeKernels.loaded().isPresent(), "no native kernels ship for this platform");
    NativeKernels kernels = NativeKernels.loaded().orElseThrow();
    assertEquals(sha, kernels.sourceSha256(), "gemma4j_kernels.c changed since the library was built: run src/main/c/build.sh");
    assertTrue(kernels.level() >= 0 && kernels.level() <= 2);
  }
}
