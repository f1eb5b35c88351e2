/**
 * gemma4j's CPU backend, found through {@link dev.gemma4j.spi.BackendProvider}: the model's operations as Java
 * kernels (the Vector API where the JVM enables it). It exports nothing to applications.
 */
module dev.gemma4j.backend.cpu {
  requires dev.gemma4j.api;
  requires org.slf4j;
  requires ai.djl.api;
  requires ai.djl.pytorch_engine;
  requires static jdk.incubator.vector;

  // gemma-api's VectorSupport instantiates the Vector API kernels by name, only where the JVM enables the
  // incubator module; the benchmarks, built later (javac warns "module not found" here), measure the kernels.
  exports dev.gemma4j.backend.cpu.kernels to dev.gemma4j.api, dev.gemma4j.benchmarks;

  provides dev.gemma4j.spi.BackendProvider with dev.gemma4j.backend.cpu.CpuBackendProvider;
}
