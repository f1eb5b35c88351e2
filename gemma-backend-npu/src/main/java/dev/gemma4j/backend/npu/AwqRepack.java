package dev.gemma4j.backend.npu;

import dev.gemma4j.spi.LinearSource;

/**
 * AutoAWQ's {@code gemm} packing turned into what {@code aclnnWeightQuantBatchMatmulV2} reads, once at load
 * (sglang's {@code AWQLinearAscendMethod} recipe): each int32's nibbles are put in column order (AWQ stores
 * columns 0, 2, 4, 6, 1, 3, 5, 7 from the lowest nibble), then {@code ^ 0x88888888} turns unsigned
 * {@code q} into signed {@code q - 8}; the zero point becomes the offset {@code 8 - z}, so
 * {@code (q - 8 + 8 - z) * s = (q - z) * s}, AWQ's own formula.
 */
final class AwqRepack {
  /** Where column {@code c} of a group of eight sits in AWQ's int32: the inverse of {@link LinearSource.Awq#ORDER}. */
  private static final int[] NIBBLE_OF_COLUMN = new int[8];

  static {
    for (int nibble = 0; nibble < 8; nibble++) {
      NIBBLE_OF_COLUMN[LinearSource.Awq.ORDER[nibble]] = nibble;
    }
  }

  private AwqRepack() {}

  /** AWQ's packed int32 in column order, each 4-bit value signed ({@code q - 8}). */
  static int signedInColumnOrder(int packed) {
    int out = 0;
    for (int column = 0; column < 8; column++) {
      out |= ((packed >>> (4 * NIBBLE_OF_COLUMN[column])) & 0xF) << (4 * column);
    }
    return out ^ 0x88888888;
  }

  /** The unsigned 4-bit value of column {@code column} (0 to 7) of an AWQ-packed int32. */
  static int unsignedAt(int packed, int column) {
    return (packed >>> (4 * NIBBLE_OF_COLUMN[column])) & 0xF;
  }
}
