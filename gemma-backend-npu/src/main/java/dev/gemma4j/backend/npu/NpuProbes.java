package dev.gemma4j.backend.npu;

import java.util.ArrayList;
import java.util.List;

/**
 * What CANN's documentation leaves open about operators this backend relies on, asked once per
 * installation, of the first device opened (a few launches on tiny tensors: the answers belong to the
 * operators, not to a device), each answer no taking a fallback:
 *
 * @param rmsNormFloatGamma {@code aclnnRmsNorm} takes bf16 x with a float32 gamma (documented only by the
 *     newest ops-nn); if not, bf16 math normalizes with a bf16 copy of {@code 1 + w}
 * @param maxDimNaN {@code aclnnMaxDim} reports a NaN as a row's maximum, which greedy decoding relies on to
 *     refuse a row that is not finite; if not, each row's sum ({@code aclnnMm} with ones, which any NaN or
 *     infinity turns non-finite) is checked too, and sampling runs on the host
 * @param stableSort {@code aclnnSort(stable = true)} keeps equal values in index order, which device
 *     sampling relies on for ties; if not, sampling runs on the host
 */
record NpuProbes(boolean rmsNormFloatGamma, boolean maxDimNaN, boolean stableSort) {
  /** What the backend assumes until it has asked (tests that build operators by hand). */
  static final NpuProbes ASSUMED = new NpuProbes(true, true, true);

  /** Asks the device behind {@code ops}. */
  static NpuProbes run(NpuTensorOps ops) {
    return ops.execute(() -> {
      try (var step = ops.openStep()) {
        return new NpuProbes(rmsNormFloatGamma(ops), maxDimNaN(ops), stableSort(ops));
      }
    });
  }

  private static boolean rmsNormFloatGamma(NpuTensorOps ops) {
    try {
      NpuTensor x = ops.as(ops.uploadFloats(new float[] {1, 2, 3, 4}, 1, 4), AclDType.BF16);
      NpuTensor gamma = ops.uploadFloats(new float[] {1, 1, 1, 1}, 4);
      ops.nn().run("aclnnRmsNorm", x, gamma, 1e-6, ops.allocate(AclDType.BF16, 1, 4), ops.allocate(AclDType.FLOAT, 1, 1));
      ops.synchronize();
      return true;
    } catch (AscendException refused) {
      return false;
    }
  }

  private static boolean maxDimNaN(NpuTensorOps ops) {
    NpuTensor maxima = ops.allocate(AclDType.FLOAT, 1);
    ops.nn().run("aclnnMaxDim", ops.uploadFloats(new float[] {1, Float.NaN, 3}, 1, 3), -1L, false, maxima,
        ops.allocate(AclDType.INT64, 1));
    return Float.isNaN(ops.toHost(maxima)[0]);
  }

  private static boolean stableSort(NpuTensorOps ops) {
    float[] row = {2, 1, 1, 1, 1, 2, 1, 1};
    NpuTensor order = ops.allocate(AclDType.INT64, 1, row.length);
    ops.nn().run("aclnnSort", ops.uploadFloats(row, 1, row.length), true, -1L, true,
        ops.allocate(AclDType.FLOAT, 1, row.length), order);
    float[] ids = ops.toHost(ops.as(order, AclDType.FLOAT));
    float[] expected = {0, 5, 1, 2, 3, 4, 6, 7};
    return java.util.Arrays.equals(ids, expected);
  }

  /** In words, for {@code gemma backends}. */
  String describe() {
    List<String> fallbacks = new ArrayList<>();
    if (!rmsNormFloatGamma) {
      fallbacks.add("RmsNorm refuses a float32 gamma with bf16 x: bf16 1 + w");
    }
    if (!maxDimNaN) {
      fallbacks.add("MaxDim skips NaN: rows summed to find non-finite ones");
    }
    if (!stableSort) {
      fallbacks.add("Sort is not stable: sampling on the host");
    }
    return fallbacks.isEmpty()
        ? "probes: RmsNorm with a float32 gamma, MaxDim reports NaN, stable Sort"
        : "probes fell back: " + String.join("; ", fallbacks);
  }
}
