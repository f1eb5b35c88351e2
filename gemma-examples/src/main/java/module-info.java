/**
 * gemma4j's examples and the {@code gemma} command line. LangChain4j's AI services are optional here (the
 * example that uses them needs {@code dev.langchain4j:langchain4j}); its jar names no module, so it is required
 * by the name Java derives from its file name.
 */
@SuppressWarnings("requires-automatic")
module dev.gemma4j.examples {
  requires dev.gemma4j.api;
  requires dev.gemma4j.server;
  requires dev.gemma4j.testkit;
  requires dev.gemma4j.langchain4j;
  requires static langchain4j;
  requires info.picocli;
  requires org.jfree.jfreechart;
  requires java.desktop;
  requires java.management;
  requires java.net.http;
  requires com.google.gson;

  // picocli reads and sets the commands' annotated fields by reflection.
  opens dev.gemma4j.examples.cli to info.picocli;
}
