package dev.gemma4j.backend.npu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which fused paths a step takes, probed once when the backend opens: each fused operator is used only
 * when this CANN exports it (an older one lacks some), and {@value #OVERRIDE}{@code =off} turns every
 * fusion off (the unfused operators are the fallback, and a way to rule a fused kernel out on a device).
 *
 * @param stackedMatmuls q/k/v and gate/up weights stacked so each group is one {@code Mm}
 * @param geGlu {@code aclnnGeGluV3} for {@code gelu_tanh(gate) * up}
 * @param addRmsNorm {@code aclnnAddRmsNorm} for the residual addition and the next norm
 * @param scatterKvCache {@code aclnnScatterPaKvCache} writes a step's keys and values in one launch
 * @param deviceSampling temperature, top-k, top-p and min-p drawn on the device ({@code aclnnSort},
 *     {@code aclnnCumsum}, {@code aclnnLtTensor}, {@code aclnnGeTensor}), so only ids come back
 * @param graphs graph mode ({@link NpuGraphs}): only with {@value NpuGraphs#OVERRIDE}{@code =on} and a CANN that
 *     captures graphs (8.1+)
 */
record NpuFusions(
    boolean stackedMatmuls, boolean geGlu, boolean addRmsNorm, boolean scatterKvCache, boolean deviceSampling, boolean graphs) {
  /** Environment variable that turns the fused paths off. */
  static final String OVERRIDE = "GEMMA_NPU_FUSED";

  static final NpuFusions NONE = new NpuFusions(false, false, false, false, false, false);

  /** The fusions this CANN supports, unless the environment turns them off. */
  static NpuFusions probe(AclLibrary library, Map<String, String> env) {
    if ("off".equalsIgnoreCase(env.getOrDefault(OVERRIDE, ""))) {
      return NONE;
    }
    return new NpuFusions(
        true,
        library.has("aclnnGeGluV3GetWorkspaceSize"),
        library.has("aclnnAddRmsNormGetWorkspaceSize"),
        library.has("aclnnScatterPaKvCacheGetWorkspaceSize"),
        java.util.stream.Stream.of("aclnnSort", "aclnnCumsum", "aclnnLtTensor", "aclnnGeTensor")
            .allMatch(op -> library.has(op + "GetWorkspaceSize")),
        "on".equalsIgnoreCase(env.getOrDefault(NpuGraphs.OVERRIDE, "")) && library.has("aclmdlRICaptureBegin"));
  }

  /** In words, for {@code gemma backends}: what is fused and what falls back. */
  String describe() {
    List<String> fused = new ArrayList<>();
    List<String> unfused = new ArrayList<>();
    (stackedMatmuls ? fused : unfused).add("q/k/v and gate/up matmuls");
    (geGlu ? fused : unfused).add("GeGluV3");
    (addRmsNorm ? fused : unfused).add("AddRmsNorm");
    (scatterKvCache ? fused : unfused).add("ScatterPaKvCache");
    (deviceSampling ? fused : unfused).add("sampling on the device");
    return "fused: " + (fused.isEmpty() ? "none" : String.join(", ", fused))
        + (unfused.isEmpty() ? "" : "; unfused: " + String.join(", ", unfused))
        + "; graph mode " + (graphs ? "on (decode steps captured and replayed)" : "off (" + NpuGraphs.OVERRIDE + "=on tries it)");
  }
}
