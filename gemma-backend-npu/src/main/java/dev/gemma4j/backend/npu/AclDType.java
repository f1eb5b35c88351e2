package dev.gemma4j.backend.npu;

/** The {@code aclDataType} values this backend uses, with their sizes. */
enum AclDType {
  FLOAT(0, 4),
  FLOAT16(1, 2),
  INT8(2, 1),
  INT32(3, 4),
  INT64(9, 8),
  /** One byte each, 0 or 1 (attention masks). */
  BOOL(12, 1),
  BF16(27, 2),
  /** Two per byte, the lower element in the low nibble: only ever a view of packed int32 memory. */
  INT4(29, 0);

  private final int code;
  private final int bytes;

  AclDType(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  int code() {
    return code;
  }

  int bytes() {
    return bytes;
  }
}
