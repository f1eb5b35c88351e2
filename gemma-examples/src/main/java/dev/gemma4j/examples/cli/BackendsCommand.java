package dev.gemma4j.examples.cli;

import dev.gemma4j.spi.Backends;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code gemma backends}: every backend found on the class path, its availability and why. */
@Command(
    mixinStandardHelpOptions = true,
    name = "backends", description = "List the backends found, their availability and why.")
final class BackendsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().println(Backends.discover().diagnostics());
    return 0;
  }
}
