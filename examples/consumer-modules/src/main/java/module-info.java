/** An application module that uses gemma4j through its exported API only. */
module com.example.modules {
  requires dev.gemma4j.api;
}
