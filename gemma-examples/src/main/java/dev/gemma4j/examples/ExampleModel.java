package dev.gemma4j.examples;

import dev.gemma4j.testkit.BundledModel;

/** The model an example runs on: its first argument, else the bundled tiny model. */
final class ExampleModel {
  private ExampleModel() {}

  static String fromArgs(String[] args) {
    return args.length > 0 ? args[0] : BundledModel.path().toString();
  }
}
