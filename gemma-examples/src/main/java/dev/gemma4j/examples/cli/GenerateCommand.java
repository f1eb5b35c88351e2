package dev.gemma4j.examples.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.GenerationStats;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gemma generate}: generate from one or more prompts. */
@Command(
    mixinStandardHelpOptions = true,
    name = "generate",
    description = "Generate text from prompts (text, token ids or a JSON Lines file).",
    sortOptions = false)
final class GenerateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ModelOptions model = new ModelOptions();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Inputs inputs = new Inputs();

  static final class Inputs {
    @Option(names = "--prompt", paramLabel = "TEXT", description = "A text prompt (repeatable).")
    List<String> texts = new ArrayList<>();

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "Token ids such as 2,17,33 (repeatable).")
    List<String> ids = new ArrayList<>();

    @Option(names = "--prompts-file", paramLabel = "FILE", description = "JSON Lines: {\"ids\": [...]} or {\"text\": \"...\"} per line.")
    @Nullable Path file;
  }

  @Option(names = "--chat", description = "Wrap text prompts in Gemma's chat template.")
  boolean chat;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "256", description = "Most tokens to generate (default 256).")
  int maxNewTokens;

  @Option(names = "--greedy", description = "Greedy decoding (the default).")
  boolean greedy;

  @Option(names = "--temperature", paramLabel = "T", description = "Sample with this temperature.")
  @Nullable Double temperature;

  @Option(names = "--top-p", paramLabel = "P", description = "Sample from the top-p nucleus.")
  @Nullable Double topP;

  @Option(names = "--top-k", paramLabel = "K", description = "Sample from the k most likely tokens.")
  @Nullable Integer topK;

  @Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P times the most likely.")
  @Nullable Double minP;

  @Option(names = "--repetition-penalty", paramLabel = "R", description = "Penalize repeated tokens (1 = off).")
  @Nullable Double repetitionPenalty;

  @Option(names = "--seed", paramLabel = "S", description = "Random seed of sampling.")
  @Nullable Long seed;

  @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable).")
  List<String> stops = new ArrayList<>();

  @Option(names = "--ignore-eos", description = "Do not stop at end-of-sequence tokens.")
  boolean ignoreEos;

  @Option(names = "--top-logits", paramLabel = "K", defaultValue = "0", description = "Report the K highest logits of every step.")
  int topLogits;

  @Option(names = "--concurrency", paramLabel = "C", defaultValue = "1", description = "Prompts in flight at once (batched).")
  int concurrency;

  @Option(names = "--stream", description = "Print tokens as they are generated.")
  boolean stream;

  @Option(names = "--json", description = "One JSON object per prompt, in input order.")
  boolean json;

  @Override
  public Integer call() {
    GenerationConfig config = generationConfig();
    if (concurrency < 1) {
      throw GemmaCli.usage(spec, "--concurrency " + concurrency + ": at least 1");
    }
    List<Prompt> prompts = prompts();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int failed = 0;
    try (Gemma gemma = model.open(spec)) {
      List<CompletableFuture<Generation>> results = run(gemma, prompts, config, out);
      for (int i = 0; i < results.size(); i++) {
        Generation g;
        try {
          g = results.get(i).join();
        } catch (java.util.concurrent.CompletionException e) {
          failed++;
          String message = e.getCause() instanceof GemmaException ge ? ge.getMessage() : String.valueOf(e.getCause());
          if (json) {
            com.google.gson.JsonObject o = new com.google.gson.JsonObject();
            o.addProperty("error", message);
            out.println(o);
          }
          err.println("error: prompt " + (i + 1) + ": " + message);
          continue;
        }
        if (json) {
          out.println(GenerationJson.line(g, topLogits > 0));
        } else {
          if (!stream || prompts.size() > 1 && concurrency > 1) {
            if (prompts.size() > 1) {
              out.println("--- prompt " + (i + 1));
            }
            out.println(gemma.tokenizer().isPresent() ? g.text() : "ids " + ids(g));
          } else {
            out.println(gemma.tokenizer().isPresent() ? "" : "ids " + ids(g));
          }
          err.println(summary(g.stats(), g.finishReason().name().toLowerCase(Locale.ROOT)));
        }
      }
      out.flush();
      if (failed > 0 && prompts.size() > 1) {
        err.println("error: " + failed + " of " + prompts.size() + " prompts failed; the results of the others are printed");
      }
    }
    return failed == 0 ? 0 : 1;
  }

  private static String ids(Generation g) {
    return g.tokenIds().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(" "));
  }

  /**
   * Submits every prompt, keeping at most {@code --concurrency} in flight and never more than the queue
   * holds; a prompt that cannot be served fails alone (its future), the others go on.
   */
  private List<CompletableFuture<Generation>> run(Gemma gemma, List<Prompt> prompts, GenerationConfig config, PrintWriter out) {
    Semaphore slots = new Semaphore(Math.min(concurrency, model.queueCapacity));
    List<CompletableFuture<Generation>> futures = new ArrayList<>();
    for (Prompt prompt : prompts) {
      slots.acquireUninterruptibly();
      Consumer<TokenEvent> listener = streamPrinter(out, prompts.size());
      try {
        GenerationHandle handle = gemma.submit(prompt, config, listener);
        futures.add(handle.result().whenComplete((g, e) -> slots.release()));
      } catch (GemmaException e) {
        slots.release();
        futures.add(CompletableFuture.failedFuture(e));
      }
    }
    return futures;
  }

  private Consumer<TokenEvent> streamPrinter(PrintWriter out, int promptCount) {
    if (!stream || json || promptCount > 1 && concurrency > 1) {
      return event -> {};
    }
    return event -> {
      out.print(event.text());
      out.flush();
    };
  }

  private GenerationConfig generationConfig() {
    try {
      return buildConfig();
    } catch (IllegalArgumentException e) {
      throw GemmaCli.usage(spec, e.getMessage() + " (--" + optionOf(e.getMessage()) + ")");
    }
  }

  /** The option behind a {@link GenerationConfig} field named at the start of its validation message. */
  private static String optionOf(String message) {
    String field = message.split(" ", 2)[0];
    return switch (field) {
      case "maxNewTokens" -> "max-new-tokens";
      case "topK" -> "top-k";
      case "topP" -> "top-p";
      case "minP" -> "min-p";
      case "repetitionPenalty" -> "repetition-penalty";
      case "topLogits" -> "top-logits";
      case "stop" -> "stop";
      default -> field;
    };
  }

  private GenerationConfig buildConfig() {
    GenerationConfig.Builder b =
        GenerationConfig.builder()
            .maxNewTokens(maxNewTokens)
            .ignoreEos(ignoreEos)
            .topLogits(topLogits)
            .stopStrings(stops);
    boolean sampling = temperature != null || topP != null || topK != null || minP != null;
    if (greedy && sampling) {
      throw GemmaCli.usage(spec, "--greedy cannot be combined with --temperature, --top-p, --top-k or --min-p");
    }
    if (temperature != null) {
      b.temperature(temperature);
    }
    if (topP != null) {
      b.topP(topP);
    }
    if (topK != null) {
      b.topK(topK);
    }
    if (minP != null) {
      b.minP(minP);
    }
    if (repetitionPenalty != null) {
      b.repetitionPenalty(repetitionPenalty);
    }
    if (seed != null) {
      b.seed(seed);
    }
    return b.build();
  }

  private List<Prompt> prompts() {
    List<Prompt> prompts = new ArrayList<>();
    inputs.texts.forEach(t -> prompts.add(PromptInputs.text(t, chat)));
    for (String i : inputs.ids) {
      try {
        prompts.add(PromptInputs.ids(i));
      } catch (GemmaException e) {
        throw GemmaCli.usage(spec, e.getMessage());
      }
    }
    if (inputs.file != null) {
      prompts.addAll(PromptInputs.file(inputs.file, chat));
    }
    return prompts;
  }

  static String summary(GenerationStats s, String finish) {
    return String.format(
        Locale.ROOT,
        "[%d prompt + %d new tokens, %s; first token %.0f ms, %.2f tokens/s, %.1f ms/token, peak memory %d MiB]",
        s.promptTokens(),
        s.generatedTokens(),
        finish,
        s.timeToFirstToken().toNanos() / 1e6,
        s.tokensPerSecond(),
        s.msPerToken(),
        s.peakMemoryBytes() >> 20);
  }
}
