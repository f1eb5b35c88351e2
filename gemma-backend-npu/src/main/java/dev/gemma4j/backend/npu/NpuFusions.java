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
 * @param addRmsNorm {@code aclnnAddRmsNorm} for the residual addition and the next norm: in float32 math
 *     always; in bf16 math unless {@code fusedBf16Norm} is off
 * @param fusedBf16Norm bf16 math takes {@code aclnnAddRmsNorm} too (the default): its bf16 kernels round
 *     {@code x / rms} before multiplying by a bf16 {@code 1 + w} and round again, which measured closer to the
 *     CPU's bf16 math and to the float32 reference than adding and normalizing with {@code aclnnRmsNorm} and
 *     the float32 {@code 1 + w} (one launch more per norm; {@value #BF16_NORM}{@code =exact} takes that)
 * @param scatterKvCache {@code aclnnScatterPaKvCache} writes a step's keys and values in one launch (for
 *     16-bit caches: on A2/A3 it takes no float32, so float32 math writes with {@code InplaceIndexCopy})
 * @param increFlashAttention {@code aclnnIncreFlashAttentionV4} (page attention) for the decoding sequences of
 *     a step without an attention soft-cap, in 16-bit math, where its documented constraints hold (see
 *     {@link NpuAttentionStep}); not in graph mode, which would bake its host lengths into the graph
 * @param deviceSampling temperature, top-k, top-p and min-p drawn on the device ({@code aclnnSort},
 *     {@code aclnnCumsum}, {@code aclnnLtTensor}, {@code aclnnGeTensor}), so only ids come back
 * @param graphs graph mode ({@link NpuGraphs}): only with {@value NpuGraphs#OVERRIDE}{@code =on} and a CANN that
 *     captures graphs (8.1+)
 * @param maxGraphs the most captured graphs kept ({@link NpuGraphs})
 */
record NpuFusions(
    boolean stackedMatmuls,
    boolean geGlu,
    boolean addRmsNorm,
    boolean fusedBf16Norm,
    boolean scatterKvCache,
    boolean increFlashAttention,
    boolean deviceSampling,
    boolean graphs,
    int maxGraphs) {
  /** Environment variable that turns the fused paths off. */
  static final String OVERRIDE = "GEMMA_NPU_FUSED";
  /** Environment variable that chooses bf16 math's norm: {@code fused} (the default) or {@code exact}. */
  static final String BF16_NORM = "GEMMA_NPU_BF16_NORM";

  static final NpuFusions NONE =
      new NpuFusions(false, false, false, false, false, false, false, false, NpuGraphs.DEFAULT_MAX_GRAPHS);

  /** The fusions this CANN supports, unless the environment turns them off. */
  static NpuFusions probe(AclLibrary library, Map<String, String> env) {
    int maxGraphs = NpuGraphs.maxGraphs(env);
    String norm = env.getOrDefault(BF16_NORM, "fused").strip();
    if (!norm.equalsIgnoreCase("exact") && !norm.equalsIgnoreCase("fused")) {
      throw new IllegalArgumentException(BF16_NORM + "=" + norm + " is neither exact nor fused");
    }
    if ("off".equalsIgnoreCase(env.getOrDefault(OVERRIDE, ""))) {
      return NONE;
    }
    return new NpuFusions(
        true,
        library.has("aclnnGeGluV3GetWorkspaceSize"),
        library.has("aclnnAddRmsNormGetWorkspaceSize"),
        norm.equalsIgnoreCase("fused"),
        library.has("aclnnScatterPaKvCacheGetWorkspaceSize"),
        library.has("aclnnIncreFlashAttentionV4GetWorkspaceSize"),
        java.util.stream.Stream.of("aclnnSort", "aclnnCumsum", "aclnnLtTensor", "aclnnGeTensor")
            .allMatch(op -> library.has(op + "GetWorkspaceSize")),
        "on".equalsIgnoreCase(env.getOrDefault(NpuGraphs.OVERRIDE, "")) && library.has("aclmdlRICaptureBegin"),
        maxGraphs);
  }

  /** In words, for {@code gemma backends}: what is fused and what falls back. */
  String describe() {
    List<String> fused = new ArrayList<>();
    List<String> unfused = new ArrayList<>();
    (stackedMatmuls ? fused : unfused).add("q/k/v and gate/up matmuls");
    (geGlu ? fused : unfused).add("GeGluV3");
    (addRmsNorm ? fused : unfused).add(addRmsNorm && !fusedBf16Norm ? "AddRmsNorm (float32 math only)" : "AddRmsNorm");
    (scatterKvCache ? fused : unfused).add("ScatterPaKvCache (16-bit caches)");
    (increFlashAttention ? fused : unfused).add("IncreFlashAttentionV4 (decode without soft-cap, 16-bit)");
    (deviceSampling ? fused : unfused).add("sampling on the device");
    return "fused: " + (fused.isEmpty() ? "none" : String.join(", ", fused))
        + (unfused.isEmpty() ? "" : "; unfused: " + String.join(", ", unfused))
        + "; graph mode " + (graphs ? "on (decode steps captured and replayed, at most " + maxGraphs + " graphs kept)"
            : "off (" + NpuGraphs.OVERRIDE + "=on tries it)");
  }
}
