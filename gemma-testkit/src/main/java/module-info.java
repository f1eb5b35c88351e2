/**
 * gemma4j's testkit: the JUnit extension, golden prompts and timing runs, and the bundled model for tests.
 */
module dev.gemma4j.testkit {
  requires transitive dev.gemma4j.api;
  requires static org.junit.jupiter.api; // provided: the tests that use the extension have JUnit
  requires com.google.gson;

  exports dev.gemma4j.testkit;
}
