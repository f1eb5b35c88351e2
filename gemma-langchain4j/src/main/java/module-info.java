/**
 * gemma4j's LangChain4j chat models over a {@link dev.gemma4j.Gemma}, in process or remote. LangChain4j's core
 * jar names no module, so it is required by the name Java derives from its file name.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.gemma4j.langchain4j {
  requires transitive dev.gemma4j.api;
  requires transitive langchain4j.core;
  requires com.google.gson;

  exports dev.gemma4j.langchain4j;
}
