/**
 * gemma4j's OpenAI-compatible HTTP server: {@link dev.gemma4j.server.GemmaServer} over a {@link dev.gemma4j.Gemma}.
 * Its request handling ({@code dev.gemma4j.server.internal}) is not exported.
 */
module dev.gemma4j.server {
  requires transitive dev.gemma4j.api;
  requires com.google.gson;
  requires org.slf4j;
  requires jdk.httpserver;
  requires jdk.management;

  exports dev.gemma4j.server;
}
