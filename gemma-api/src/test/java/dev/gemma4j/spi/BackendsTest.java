package dev.gemma4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.gemma4j.GemmaException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendsTest {
  private static BackendProvider provider(String name, int rank, Availability availability) {
    BackendProvider p = mock(BackendProvider.class);
    when(p.name()).thenReturn(name);
    when(p.rank()).thenReturn(rank);
    when(p.availability()).thenReturn(availability);
    return p;
  }

  private final BackendProvider cpu = provider("cpu", 10, Availability.available("2 cores"));
  private final BackendProvider npu = provider("npu", 1, Availability.unavailable("libascendcl.so not found"));

  @AfterEach
  void clearProperty() {
    System.clearProperty(Backends.PROPERTY);
  }

  @Test
  void picksTheBestRankedAvailableProvider() {
    assertEquals(cpu, Backends.of(List.of(cpu, npu)).select(null));
    BackendProvider npuHere = provider("npu", 1, Availability.available("Ascend910B3"));
    assertEquals(npuHere, Backends.of(List.of(cpu, npuHere)).select(null));
    assertEquals(List.of(npuHere, cpu), Backends.of(List.of(cpu, npuHere)).providers());
  }

  @Test
  void anExplicitChoiceWinsOverThePropertyWhichWinsOverRanking() {
    BackendProvider npuHere = provider("npu", 1, Availability.available("Ascend910B3"));
    Backends backends = Backends.of(List.of(cpu, npuHere));
    System.setProperty(Backends.PROPERTY, "cpu");
    assertEquals(cpu, backends.select(null));
    assertEquals(npuHere, backends.select("npu:1"));
  }

  @Test
  void anUnavailableChoiceSaysWhy() {
    GemmaException e = assertThrows(GemmaException.class, () -> Backends.of(List.of(cpu, npu)).select("npu"));
    assertTrue(e.getMessage().contains("libascendcl.so not found"), e.getMessage());
  }

  @Test
  void anUnknownChoiceListsTheKnownOnes() {
    GemmaException e = assertThrows(GemmaException.class, () -> Backends.of(List.of(cpu, npu)).select("tpu"));
    assertTrue(e.getMessage().contains("unknown backend \"tpu\"") && e.getMessage().contains("npu, cpu"), e.getMessage());
  }

  @Test
  void noAvailableProviderIsAnErrorWithDiagnostics() {
    GemmaException e = assertThrows(GemmaException.class, () -> Backends.of(List.of(npu)).select(null));
    assertTrue(e.getMessage().contains("npu") && e.getMessage().contains("unavailable"), e.getMessage());
  }

  @Test
  void diagnosticsListEveryProvider() {
    String text = Backends.of(List.of(cpu, npu)).diagnostics();
    assertTrue(text.contains("npu  rank 1   unavailable: libascendcl.so not found"), text);
    assertTrue(text.contains("cpu  rank 10  available: 2 cores"), text);
  }

  @Test
  void parsesDeviceIndexes() {
    assertEquals(0, Backends.deviceIndex("npu"));
    assertEquals(3, Backends.deviceIndex("npu:3"));
    assertThrows(GemmaException.class, () -> Backends.deviceIndex("npu:x"));
  }
}
