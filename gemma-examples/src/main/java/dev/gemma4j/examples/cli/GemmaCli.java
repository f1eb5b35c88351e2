package dev.gemma4j.examples.cli;

import dev.gemma4j.GemmaException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gemma} program. Each subcommand is one class; errors go to standard error with a non-zero
 * exit status (1 for a failure, 2 for a usage error).
 */
@Command(
    name = "gemma",
    mixinStandardHelpOptions = true,
    version = "gemma4j 0.2.0",
    description = "Run Gemma 2 models in-process on Ascend NPUs and CPUs.",
    subcommands = {
      GenerateCommand.class, ChatCommand.class, ServeCommand.class, CheckCommand.class, BenchCommand.class,
      RandomCheckpointCommand.class, BackendsCommand.class
    })
public final class GemmaCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final InputStream in;

  private GemmaCli(InputStream in) {
    this.in = in;
  }

  /** Standard input as this run sees it (the chat reads it). */
  InputStream in() {
    return in;
  }

  /**
   * Runs the program and exits with its status. Started without the Java Vector API, it first reruns
   * itself with it (see {@link VectorRelaunch}).
   */
  public static void main(String[] args) {
    var relaunch = VectorRelaunch.command(args);
    if (relaunch.isPresent()) {
      int status = VectorRelaunch.run(relaunch.get());
      if (status >= 0) {
        System.exit(status);
      }
    }
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs the program with the given streams; returns the exit status. For tests and embedding. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, InputStream.nullInputStream(), out, err);
  }

  /** Runs the program with the given streams, standard input included; returns the exit status. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new GemmaCli(in));
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + message(e));
          commandLine.getErr().flush();
          return 1;
        });
    cli.setParameterExceptionHandler(
        (e, args1) -> {
          CommandLine command = e.getCommandLine();
          command.getErr().println("error: " + e.getMessage());
          command.getErr().println("(gemma " + String.join(" ", subcommandPath(command)) + " --help lists the options)");
          command.getErr().flush();
          return CommandLine.ExitCode.USAGE;
        });
    return cli.execute(args);
  }

  private static java.util.List<String> subcommandPath(CommandLine command) {
    java.util.List<String> names = new java.util.ArrayList<>();
    for (CommandLine c = command; c != null && c.getParent() != null; c = c.getParent()) {
      names.addFirst(c.getCommandName());
    }
    return names;
  }

  /** A usage error of {@code spec}'s command: exit status 2 and a message that names the one wrong value. */
  static CommandLine.ParameterException usage(CommandLine.Model.CommandSpec spec, String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  private static String message(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof GemmaException || t instanceof IllegalArgumentException) {
      return CliFlags.annotate(t.getMessage());
    }
    return t.toString();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
