package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GemmaException;
import dev.gemma4j.TestFixtures;
import dev.gemma4j.backend.cpu.CpuBackendProvider;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.internal.model.Gemma2Model;
import dev.gemma4j.internal.model.ModelSteps;
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
      Gemma2Model<?> model = Gemma2Model.load(checkpoint, npu.ops());
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
}
