/**
 * gemma4j's Ascend NPU backend, found through {@link dev.gemma4j.spi.BackendProvider}: CANN's runtime and aclnn
 * operators called through the Foreign Function and Memory API. It exports nothing to applications.
 */
module dev.gemma4j.backend.npu {
  requires dev.gemma4j.api;
  requires org.slf4j;

  provides dev.gemma4j.spi.BackendProvider with dev.gemma4j.backend.npu.NpuBackendProvider;
}
