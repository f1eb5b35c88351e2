/**
 * gemma4j's API: the {@link dev.gemma4j.Gemma} facade in process or over servers, requests and results, response
 * formats and tool calling, model resolution and checkpoint reading, the tokenizer, sampling, and the SPI that
 * backends implement. Packages named {@code internal} are exported only to gemma4j's own modules.
 */
module dev.gemma4j.api {
  requires transitive org.jspecify;
  requires com.google.gson;
  requires org.slf4j;
  requires ai.djl.tokenizers;
  requires java.net.http;
  requires static jdk.incubator.vector;

  exports dev.gemma4j;
  exports dev.gemma4j.check;
  exports dev.gemma4j.checkpoint;
  exports dev.gemma4j.config;
  exports dev.gemma4j.engine;
  exports dev.gemma4j.hub;
  exports dev.gemma4j.sampling;
  exports dev.gemma4j.spi;
  exports dev.gemma4j.tokenizer;
  exports dev.gemma4j.tools;

  // Qualified exports name modules built after this one, so javac warns "module not found" here; DJL's
  // tokenizers are an automatic module, hence the warning on that requires.
  exports dev.gemma4j.internal to dev.gemma4j.server, dev.gemma4j.examples;
  exports dev.gemma4j.internal.quant to dev.gemma4j.backend.cpu, dev.gemma4j.backend.npu;
  exports dev.gemma4j.internal.model to dev.gemma4j.examples;
  exports dev.gemma4j.internal.vector to dev.gemma4j.backend.cpu, dev.gemma4j.examples;
  exports dev.gemma4j.internal.remote to dev.gemma4j.server;

  uses dev.gemma4j.spi.BackendProvider;
}
