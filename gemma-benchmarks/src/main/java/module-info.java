/**
 * gemma4j's JMH benchmarks. Open, for JMH's reflection over its generated classes; JMH's jar names no module, so
 * it is required by the name Java derives from its file name.
 */
@SuppressWarnings("requires-automatic")
open module dev.gemma4j.benchmarks {
  requires dev.gemma4j.api;
  requires dev.gemma4j.backend.cpu;
  requires jmh.core;
  requires static jdk.incubator.vector;
}
