package dev.gemma4j.examples.cli;

import dev.gemma4j.ChatMessage;
import dev.gemma4j.FinishReason;
import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gemma chat}: an interactive chat in the terminal. Each answer streams as it is generated; the
 * conversation is kept and rendered with Gemma 2's chat template. {@code /reset} starts over,
 * {@code /exit} (or end of input) quits.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "chat", description = "Interactive chat with streaming output (/reset, /exit).")
final class ChatCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @ParentCommand GemmaCli parent;

  @Mixin ModelOptions model = new ModelOptions();

  @Option(names = "--system", paramLabel = "TEXT", description = "A system instruction (folded into the first user turn).")
  @Nullable String system;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "512", description = "Longest answer (default 512).")
  int maxNewTokens;

  @Option(names = "--temperature", paramLabel = "T", description = "Sample with this temperature (default: greedy).")
  @Nullable Double temperature;

  @Option(names = "--seed", paramLabel = "S", description = "Random seed of sampling.")
  @Nullable Long seed;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    GenerationConfig.Builder config = GenerationConfig.builder().maxNewTokens(maxNewTokens);
    if (temperature != null) {
      config.temperature(temperature).topP(0.95);
    }
    if (seed != null) {
      config.seed(seed);
    }
    try (Gemma gemma = model.open(spec)) {
      out.println("chatting with " + gemma.config().summary() + " on " + gemma.deviceName() + "; /reset, /exit");
      List<ChatMessage> history = new ArrayList<>();
      BufferedReader in = new BufferedReader(new InputStreamReader(parent.in(), StandardCharsets.UTF_8));
      while (true) {
        out.print("you> ");
        out.flush();
        String line = in.readLine();
        if (line == null || line.strip().equals("/exit")) {
          out.println();
          return 0;
        }
        if (line.strip().equals("/reset")) {
          history.clear();
          out.println("(conversation cleared)");
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        if (history.isEmpty() && system != null) {
          history.add(ChatMessage.system(system));
        }
        history.add(ChatMessage.user(line));
        out.print("gemma> ");
        Generation g =
            gemma.stream(Prompt.chat(history), config.build(), e -> {
              out.print(e.text());
              out.flush();
            }).result().join();
        history.add(ChatMessage.model(g.text()));
        out.printf(Locale.ROOT, "%n  [%d tokens, %.1f tokens/s%s]%n", g.stats().generatedTokens(), g.stats().tokensPerSecond(),
            g.finishReason() == FinishReason.LENGTH ? ", cut at --max-new-tokens" : "");
      }
    }
  }
}
