package dev.gemma4j.backend.npu;

import java.util.Map;
import java.util.Optional;

/**
 * Which Ascend chips the backend runs on, decided from {@code aclrtGetSocName()} before anything loads.
 * The operators it calls are documented for Atlas A2 ({@code Ascend910B1} to {@code B4}) and A3
 * ({@code Ascend910_93xx}); elsewhere they fail at the first step, so other chips are refused with the
 * reason (the legacy first-generation {@code Ascend910B} is not an A2 chip). A chip newer than this list can
 * be tried with {@value #OVERRIDE}{@code =1}. CANN's public API names one SoC per environment
 * ({@code aclrtGetSocName} takes no device), so a machine is checked as a whole, not device by device.
 */
final class ChipSupport {
  /** Atlas A2: Ascend910B1 to B4 and their variants (B2C, B4-1), as torch_npu lists them. */
  private static final java.util.regex.Pattern ATLAS_A2 = java.util.regex.Pattern.compile("Ascend910B[1-4][A-Z]?(-\\d+)?");
  /** Atlas A3: Ascend910_93xx. */
  private static final java.util.regex.Pattern ATLAS_A3 = java.util.regex.Pattern.compile("Ascend910_93\\d+");

  /** Environment variable that skips the check, for chips this list does not know yet. */
  static final String OVERRIDE = "GEMMA_NPU_SKIP_CHIP_CHECK";

  private ChipSupport() {}

  /** Why the chip named {@code soc} is refused, or empty when it is supported (or the check is skipped). */
  static Optional<String> refusal(String soc, Map<String, String> env) {
    if ("1".equals(env.get(OVERRIDE)) || ATLAS_A2.matcher(soc).matches() || ATLAS_A3.matcher(soc).matches()) {
      return Optional.empty();
    }
    String why;
    if (soc.isEmpty()) {
      why = "CANN did not name the chip (aclrtGetSocName returned nothing; CANN 8.0 or newer names it)";
    } else if (soc.equals("Ascend910B") || soc.equals("Ascend910ProB")) {
      why = soc + " is a first-generation Ascend 910 (the 910A family, which torch_npu names apart from the"
          + " Atlas A2 chips Ascend910B1 to B4): its operators have no bfloat16, no RotaryPositionEmbedding and no"
          + " RmsNorm";
    } else if (soc.startsWith("Ascend910")) {
      why = soc + " is an Atlas training-series chip (910A family): its operators reject float32 matmul with"
          + " cubeMathType 0, have no bfloat16, no RotaryPositionEmbedding and no RmsNorm";
    } else if (soc.startsWith("Ascend310P")) {
      why = soc + " is an Atlas inference-series chip (310P): its operators have no bfloat16 and no"
          + " RotaryPositionEmbedding (A2/A3 only)";
    } else {
      why = soc + " is not an Atlas A2 (Ascend910B1 to B4) or A3 (Ascend910_93xx) chip, the ones whose operators"
          + " this backend calls";
    }
    return Optional.of(why + "; run on the CPU (GemmaOptions.backend(\"cpu\")), or set " + OVERRIDE + "=1 to try this chip anyway");
  }
}
