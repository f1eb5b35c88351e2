package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.testing.ModelSteps;
import dev.gemma4j.GemmaException;
import dev.gemma4j.backend.cpu.CpuBackendProvider;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.spi.KvCache;
import dev.gemma4j.spi.Availability;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Backends;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the NPU cannot run, it says why and automatic selection falls back to the CPU. */
class NpuAvailabilityTest {
  @TempDir Path dir;

  @Test
  void availableOnTheEmulatorWithItsDevice() {
    Availability a = Emulator.provider(Emulator.home()).availability();
    assertTrue(a.available(), a.detail());
    assertTrue(a.detail().contains("1 device(s), Ascend910B3"), a.detail());
    assertTrue(a.detail().contains("fused: q/k/v and gate/up matmuls, GeGluV3, AddRmsNorm, ScatterPaKvCache (16-bit caches)"), a.detail());
    var off = new java.util.HashMap<>(Emulator.environment(Emulator.home()));
    off.put(NpuFusions.OVERRIDE, "off");
    assertTrue(new NpuBackendProvider(off).availability().detail().contains("fused: none"), "GEMMA_NPU_FUSED=off says so");
    NpuBackendProvider npu = Emulator.provider(Emulator.home());
    assertEquals(npu, Backends.of(List.of(new CpuBackendProvider(), npu)).select(null), "the NPU ranks first");
  }

  @Test
  void withoutLibrariesItIsUnavailableAndTheCpuIsChosen() {
    NpuBackendProvider npu = new NpuBackendProvider(Map.of("ASCEND_HOME_PATH", dir.resolve("nothing").toString()));
    Availability a = npu.availability();
    assertFalse(a.available());
    assertTrue(a.detail().contains("no CANN toolkit found") && a.detail().contains("ASCEND_HOME_PATH="), a.detail());
    assertTrue(a.detail().contains("set_env.sh"), a.detail());
    assertEquals("cpu", Backends.of(List.of(new CpuBackendProvider(), npu)).select(null).name());
    GemmaException e = assertThrows(GemmaException.class, () -> Backends.of(List.of(npu)).select("npu"));
    assertTrue(e.getMessage().contains("no CANN toolkit found"), e.getMessage());
  }

  @Test
  void withLibrariesButNoDeviceItIsUnavailable() throws IOException {
    Path toolkit = Emulator.copy(dir.resolve("no-device"), "device_count = 0\n");
    NpuBackendProvider npu = Emulator.provider(toolkit);
    Availability a = npu.availability();
    assertFalse(a.available());
    assertTrue(a.detail().contains("no NPU is visible") && a.detail().contains("npu-smi"), a.detail());
    assertEquals("cpu", Backends.of(List.of(new CpuBackendProvider(), npu)).select(null).name());
  }

  @Test
  void aDeviceIndexBeyondTheVisibleOnesIsNamed() {
    GemmaException e =
        assertThrows(GemmaException.class, () -> Emulator.provider(Emulator.home()).open(new BackendOptions(dev.gemma4j.spi.Precision.FLOAT32, 3, 0)));
    assertTrue(e.getMessage().contains("npu:3 does not exist") && e.getMessage().contains("1 device(s)"), e.getMessage());
  }

  @Test
  void aFailingOperatorIsReportedWithItsNameAndCannsMessage() throws IOException {
    Path toolkit = Emulator.copy(dir.resolve("failing"), "fail_op = aclnnSoftmax\n");
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path("tiny-gemma2"));
        Backend npu = Emulator.provider(toolkit).open(BackendOptions.defaults())) {
      DecoderModel<?> model = DecoderModel.load(checkpoint, npu.ops());
      KvCache cache = ModelSteps.cache(model, 16);
      AscendException e =
          assertThrows(
              AscendException.class,
              () -> ModelSteps.lastLogits(model, cache, new int[] {2, 5}, 0, ModelSteps.identity(2)));
      assertTrue(e.getMessage().startsWith("aclnnSoftmaxGetWorkspaceSize failed with status 561000"), e.getMessage());
      assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
      // The backend stays usable for other work after the failure.
      assertTrue(npu.memoryProbe().snapshot().totalBytes() > 0);
    }
  }

  @Test
  void chipsWhoseOperatorsDoNotFitAreRefusedWithTheReason() throws IOException {
    for (String soc : List.of("Ascend910A", "Ascend910B", "Ascend910ProB", "Ascend910B9", "Ascend310P3", "Ascend310B1")) {
      Path toolkit = Emulator.copy(dir.resolve(soc), "soc_name = " + soc + "\n");
      Availability a = Emulator.provider(toolkit).availability();
      assertFalse(a.available(), soc);
      assertTrue(a.detail().contains(soc) && a.detail().contains("GemmaOptions.backend(\"cpu\")") && a.detail().contains(ChipSupport.OVERRIDE), a.detail());
    }
    assertTrue(Emulator.provider(Emulator.copy(dir.resolve("a3"), "soc_name = Ascend910_9391\n")).availability().available());
    for (String soc : List.of("Ascend910B1", "Ascend910B2C", "Ascend910B4-1")) {
      assertTrue(Emulator.provider(Emulator.copy(dir.resolve(soc), "soc_name = " + soc + "\n")).availability().available(), soc);
    }
    Path newer = Emulator.copy(dir.resolve("newer"), "soc_name = Ascend950PR\n");
    assertFalse(Emulator.provider(newer).availability().available());
    var env = new java.util.HashMap<>(Emulator.environment(newer));
    env.put(ChipSupport.OVERRIDE, "1");
    assertTrue(new NpuBackendProvider(env).availability().available(), "the override tries an unknown chip");
  }

  @Test
  void splitOperatorPackagesAreFoundAndTheirOperatorsRun() throws IOException {
    Path toolkit = Emulator.copy(dir.resolve("split"), "", List.of("libascendcl.so", "libnnopbase.so", "libopapi_math.so", "libopapi_nn.so"));
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path("tiny-gemma2"));
        Backend npu = Emulator.provider(toolkit).open(BackendOptions.defaults())) {
      DecoderModel<?> model = DecoderModel.load(checkpoint, npu.ops());
      float[] logits = ModelSteps.lastLogits(model, ModelSteps.cache(model, 4), new int[] {2, 5}, 0, ModelSteps.identity(2));
      assertTrue(Float.isFinite(logits[0]));
    }
    Path none = Emulator.copy(dir.resolve("no-operators"), "", List.of("libascendcl.so", "libnnopbase.so"));
    Availability a = Emulator.provider(none).availability();
    assertFalse(a.available());
    assertTrue(a.detail().contains("no operator library") && a.detail().contains("libopapi_<package>.so"), a.detail());
  }

  /**
   * The per-architecture layout of split packages: runtime libraries in {@code <arch>-linux/lib64}, operator
   * packages in {@code opp/lib64}, no {@code lib64} at all.
   */
  @Test
  void thePerArchitectureLayoutIsFoundToo() throws IOException {
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    Path toolkit = dir.resolve("per-arch");
    Path runtimeLibs = java.nio.file.Files.createDirectories(toolkit.resolve(arch + "-linux/lib64"));
    Path operatorLibs = java.nio.file.Files.createDirectories(toolkit.resolve("opp/lib64"));
    Path emulator = runtimeLibs.resolve("libascend_emulator.so");
    java.nio.file.Files.copy(Emulator.home().resolve("lib64/libascend_emulator.so"), emulator);
    for (String name : List.of("libascendcl.so", "libnnopbase.so")) {
      java.nio.file.Files.createSymbolicLink(runtimeLibs.resolve(name), Path.of("libascend_emulator.so"));
    }
    for (String name : List.of("libopapi_math.so", "libopapi_nn.so", "libopapi_transformer.so")) {
      java.nio.file.Files.createSymbolicLink(operatorLibs.resolve(name), emulator);
    }
    NpuBackendProvider provider = Emulator.provider(toolkit);
    assertTrue(provider.availability().available(), provider.availability().detail());
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path("tiny-gemma2"));
        Backend npu = provider.open(BackendOptions.defaults())) {
      DecoderModel<?> model = DecoderModel.load(checkpoint, npu.ops());
      float[] logits = ModelSteps.lastLogits(model, ModelSteps.cache(model, 4), new int[] {2, 5}, 0, ModelSteps.identity(2));
      assertTrue(Float.isFinite(logits[0]));
    }
  }

  /**
   * The probes of what the docs leave open, on an emulator that answers no to each (emulator.conf quirks):
   * the backend names the fallbacks and still gives the goldens, catches a NaN row that MaxDim skips, and
   * samples on the host.
   */
  @Test
  void probesNameTheirFallbacksAndTheFallbacksHold() throws IOException {
    Availability usual = Emulator.provider(Emulator.home()).availability();
    assertTrue(usual.detail().contains("probes: RmsNorm with a float32 gamma, MaxDim reports NaN, stable Sort"),
        usual.detail());
    Path quirky = Emulator.copy(dir.resolve("quirky"), "quirks = rmsnorm_same_dtype_gamma,maxdim_skips_nan,unstable_sort\n");
    Availability a = Emulator.provider(quirky).availability();
    assertTrue(a.available(), a.detail());
    assertTrue(a.detail().contains("probes fell back") && a.detail().contains("bf16 1 + w")
        && a.detail().contains("rows summed") && a.detail().contains("sampling on the host"), a.detail());
    try (Backend npu = Emulator.provider(quirky).open(new BackendOptions(dev.gemma4j.spi.Precision.FLOAT32, 0, 0))) {
      NpuTensorOps ops = (NpuTensorOps) npu.ops();
      assertFalse(ops.samplesOnDevice(), "an unstable sort or a MaxDim that skips NaN sends sampling to the host");
      int[] best = ops.execute(() -> {
        try (var step = ops.openStep()) {
          return ops.argmaxRows(ops.uploadFloats(new float[] {1, Float.NaN, 3, 2, 5, 4}, 2, 3), 3);
        }
      });
      assertArrayEquals(new int[] {-1, 1}, best, "the NaN row is caught although MaxDim skipped it");
    }
    for (dev.gemma4j.spi.Precision precision : dev.gemma4j.spi.Precision.values()) {
      try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path("tiny-gemma2"));
          Backend npu = Emulator.provider(quirky).open(new BackendOptions(precision, 0, 0))) {
        DecoderModel<?> model = DecoderModel.load(checkpoint, npu.ops());
        NpuGoldenTest.Case c = NpuGoldenTest.cases("tiny-gemma2").getFirst();
        float[] logits = NpuGoldenTest.prefillLogits(model, c.prompt());
        double drift = NpuGoldenTest.maxDifference(logits, c.prefillLastLogits());
        assertTrue(drift < (precision == dev.gemma4j.spi.Precision.FLOAT32 ? 1e-4 : 0.5), precision + ": " + drift);
      }
    }
  }

  @Test
  void withoutTheOperatorKernelPathItSaysHowToSetIt() {
    Availability a = new NpuBackendProvider(Map.of("ASCEND_HOME_PATH", Emulator.home().toString())).availability();
    assertFalse(a.available());
    assertTrue(a.detail().contains("ASCEND_OPP_PATH is not set") && a.detail().contains("set_env.sh"), a.detail());
    Availability wrong = new NpuBackendProvider(
        Map.of("ASCEND_HOME_PATH", Emulator.home().toString(), "ASCEND_OPP_PATH", dir.resolve("missing").toString())).availability();
    assertTrue(wrong.detail().contains("is not a folder"), wrong.detail());
  }

  @Test
  void aWorkspaceThatCannotBeAllocatedDestroysTheExecutorAndNamesTheAllocation() throws IOException {
    Path toolkit = Emulator.copy(dir.resolve("tiny-hbm"), "hbm_total_mb = 1\n");
    try (Backend npu = Emulator.provider(toolkit).open(BackendOptions.defaults())) {
      NpuTensorOps ops = (NpuTensorOps) npu.ops();
      AscendException e = assertThrows(AscendException.class, () -> ops.execute(() -> {
        NpuTensor a = ops.allocateUntracked(AclDType.FLOAT, 1, 2, 2);
        NpuTensor b = ops.allocateUntracked(AclDType.FLOAT, 1, 2, 2);
        NpuTensor out = ops.allocateUntracked(AclDType.FLOAT, 1, 2, 2);
        long free = ((NpuBackend) npu).runtime().memInfo()[0];
        ops.allocateUntracked(AclDType.INT8, free - 2048); // leaves less than BatchMatMul's 4096-byte workspace
        ops.nn().run("aclnnBatchMatMul", a, b, out, (byte) 0);
        return null;
      }));
      assertTrue(e.getMessage().startsWith("aclrtMalloc") && e.getMessage().contains("do not fit"), e.getMessage());
      assertEquals(0, NpuStepCostTest.emulatorCounters(toolkit)[5], "the executor that could not run was destroyed");
    }
  }
}
