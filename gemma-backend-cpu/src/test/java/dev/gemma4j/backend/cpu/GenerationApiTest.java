package dev.gemma4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.FinishReason;
import dev.gemma4j.Gemma;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.TokenLogprobs;
import dev.gemma4j.TokenStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming, stop conditions, cancellation and statistics through the public API. */
class GenerationApiTest {
  static Gemma gemma;
  static Golden golden;

  @BeforeAll
  static void open() {
    golden = Golden.load("tiny-gemma2-tok");
    gemma = Gemma.open(golden.folder(), GenerationGoldenTest.cpu());
  }

  @AfterAll
  static void close() {
    gemma.close();
  }

  private static void assertWellFormedChunks(List<TokenEvent> events) {
    for (TokenEvent e : events) {
      assertFalse(e.text().contains("\uFFFD"), "broken character in " + e);
      assertTrue(StandardCharsets.UTF_8.newEncoder().canEncode(e.text()), "split surrogate pair in " + e);
    }
  }

  @Test
  void everyStreamingFormConcatenatesToTheGoldenText() throws InterruptedException {
    for (Golden.Case c : golden.cases()) {
      GenerationConfig config = GenerationGoldenTest.greedy(c);
      Prompt prompt = Prompt.ids(c.inputIds());

      List<TokenEvent> callback = new CopyOnWriteArrayList<>();
      Generation result = gemma.stream(prompt, config, callback::add).result().join();
      assertWellFormedChunks(callback);
      assertEquals(c.generatedText(), text(callback));
      assertEquals(c.generatedText(), result.text());
      for (int i = 0; i < callback.size(); i++) {
        assertEquals(i, callback.get(i).index());
        assertEquals(c.greedyNewIds()[i], callback.get(i).id());
      }

      try (TokenStream stream = gemma.stream(prompt, config)) {
        List<TokenEvent> pulled = stream.events().toList();
        assertWellFormedChunks(pulled);
        assertEquals(c.generatedText(), text(pulled));
        assertEquals(FinishReason.LENGTH, stream.result().join().finishReason());
      }

      OneAtATime subscriber = new OneAtATime(Long.MAX_VALUE);
      gemma.publisher(prompt, config).subscribe(subscriber);
      assertTrue(subscriber.done.await(60, TimeUnit.SECONDS));
      assertEquals(c.generatedText(), text(subscriber.events));
      assertEquals(null, subscriber.error);
    }
  }

  private static String text(List<TokenEvent> events) {
    return events.stream().map(TokenEvent::text).collect(Collectors.joining());
  }

  /** Requests one token at a time; cancels after {@code limit}. */
  static final class OneAtATime implements Flow.Subscriber<TokenEvent> {
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final CountDownLatch done = new CountDownLatch(1);
    final long limit;
    volatile Throwable error;
    Flow.Subscription subscription;

    OneAtATime(long limit) {
      this.limit = limit;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(TokenEvent item) {
      events.add(item);
      if (events.size() >= limit) {
        subscription.cancel();
        done.countDown();
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      done.countDown();
    }

    @Override
    public void onComplete() {
      done.countDown();
    }
  }

  @Test
  void cancellingAPublisherSubscriptionCancelsTheGeneration() throws InterruptedException {
    OneAtATime subscriber = new OneAtATime(3);
    GenerationConfig long_ = GenerationConfig.builder().maxNewTokens(500).ignoreEos(true).build();
    gemma.publisher(Prompt.ids(golden.cases().getFirst().inputIds()), long_).subscribe(subscriber);
    assertTrue(subscriber.done.await(60, TimeUnit.SECONDS));
    Thread.sleep(200);
    assertEquals(3, subscriber.events.size(), "no token after cancel");
  }

  @Test
  void cancellingAHandleEndsTheRequestWithWhatItHas() {
    Golden.Case c = golden.cases().getFirst();
    CountDownLatch three = new CountDownLatch(3);
    GenerationHandle handle =
        gemma.stream(
            Prompt.ids(c.inputIds()),
            GenerationConfig.builder().maxNewTokens(2000).ignoreEos(true).build(),
            e -> three.countDown());
    try {
      three.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    handle.cancel();
    Generation g = handle.result().join();
    assertEquals(FinishReason.CANCELLED, g.finishReason());
    assertTrue(g.tokenIds().size() >= 3 && g.tokenIds().size() < 2000);
  }

  @Test
  void closingATokenStreamEarlyCancels() {
    Golden.Case c = golden.cases().getFirst();
    TokenStream stream = gemma.stream(Prompt.ids(c.inputIds()), GenerationConfig.builder().maxNewTokens(2000).ignoreEos(true).build());
    try (stream) {
      assertEquals(2, stream.events().limit(2).count());
    }
    assertEquals(FinishReason.CANCELLED, stream.result().join().finishReason());
  }

  @Test
  void aStopStringCutsTheTextBeforeIt() {
    Golden.Case c = golden.cases().getFirst(); // "一线一线一线擬sldboxbox..."
    List<TokenEvent> streamed = new ArrayList<>();
    Generation g =
        gemma.stream(
                Prompt.ids(c.inputIds()),
                GenerationConfig.builder().maxNewTokens(20).ignoreEos(true).stopStrings(List.of("box")).build(),
                streamed::add)
            .result()
            .join();
    assertEquals(FinishReason.STOP_STRING, g.finishReason());
    assertEquals(c.generatedText().substring(0, c.generatedText().indexOf("box")), g.text());
    assertEquals(g.text(), text(streamed), "streamed chunks never show the stop string");
  }

  @Test
  void anExtraStopTokenEndsGenerationAfterIt() {
    Golden.Case c = golden.cases().getFirst();
    int stop = c.greedyNewIds()[3];
    Generation g =
        gemma.generate(Prompt.ids(c.inputIds()), GenerationConfig.builder().maxNewTokens(20).stopTokenIds(Set.of(stop)).build());
    assertEquals(FinishReason.STOP_TOKEN, g.finishReason());
    assertEquals(stop, g.tokenIds().getLast());
    assertTrue(g.tokenIds().size() <= 4);
  }

  @Test
  void aTimeoutEndsALongRequest() {
    Golden.Case c = golden.cases().getFirst();
    Generation g =
        gemma.generate(
            Prompt.ids(c.inputIds()),
            GenerationConfig.builder().maxNewTokens(3000).ignoreEos(true).timeout(Duration.ofMillis(300)).build());
    assertEquals(FinishReason.TIMEOUT, g.finishReason());
  }

  @Test
  void statisticsAreFilledIn() {
    Golden.Case c = golden.cases().getFirst();
    Generation g = gemma.generate(Prompt.text(c.prompt()), GenerationConfig.builder().maxNewTokens(10).ignoreEos(true).build());
    var s = g.stats();
    assertEquals(c.inputIds().length, s.promptTokens());
    assertEquals(10, s.generatedTokens());
    assertTrue(s.timeToFirstToken().toNanos() > 0 && s.totalTime().compareTo(s.timeToFirstToken()) >= 0);
    assertTrue(s.tokensPerSecond() > 0 && s.msPerToken() > 0);
    assertTrue(s.memoryAfterLoadBytes() > 0 && s.peakMemoryBytes() >= s.memoryAfterLoadBytes());
    var memory = gemma.memory();
    long stored = folderBytes(golden.folder().resolve("model.safetensors"));
    assertTrue(memory.weightBytes() >= 256000L * 16 * 2 && memory.weightBytes() <= stored,
        "weights held at their checkpoint size (bf16), not widened: " + memory.weightBytes() + " of " + stored);
    assertTrue(memory.kvCacheBytes() > 0 && memory.totalBytes() > memory.freeBytes());
  }

  static long folderBytes(java.nio.file.Path file) {
    try {
      return java.nio.file.Files.size(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void chatGenerationUsesTheTemplate() {
    Golden.Case chat = golden.cases().get(5);
    Generation g =
        gemma.chat(
            List.of(dev.gemma4j.ChatMessage.user("The capital of France is")),
            GenerationConfig.builder().maxNewTokens(20).ignoreEos(true).build());
    assertEquals(chat.generatedText(), g.text());
  }

  /**
   * Log probabilities against the reference: on the golden greedy runs, each step's most likely tokens are
   * the golden top logits, log probabilities differ exactly as those logits do, and the chosen token is the best.
   */
  @Test
  void logprobsFollowTheGoldenLogits() {
    for (Golden.Case c : golden.cases()) {
      GenerationConfig config = GenerationGoldenTest.greedy(c).toBuilder().logprobs(5).build();
      List<TokenLogprobs> streamed = new CopyOnWriteArrayList<>();
      Generation g = gemma.stream(Prompt.ids(c.inputIds()), config, e -> streamed.add(e.logprobs())).result().join();
      assertEquals(c.greedyNewIds().length, g.logprobs().size());
      assertEquals(g.logprobs(), streamed, "each event carries its token's log probabilities");
      for (int step = 0; step < g.logprobs().size(); step++) {
        TokenLogprobs lp = g.logprobs().get(step);
        var top = g.topLogits().get(step);
        assertEquals(c.greedyNewIds()[step], lp.id());
        assertEquals(top.ids(), lp.topIds(), "step " + step);
        assertEquals(lp.topLogprobs().getFirst(), lp.logprob(), 1e-6, "greedy takes the most likely token");
        double mass = 0;
        for (int k = 0; k < lp.topIds().size(); k++) {
          assertEquals(top.logits().get(k) - top.logits().getFirst(), lp.topLogprobs().get(k) - lp.topLogprobs().getFirst(),
              1e-4, "step " + step + " rank " + k);
          assertTrue(lp.topLogprobs().get(k) <= 0);
          mass += Math.exp(lp.topLogprobs().get(k));
        }
        assertTrue(mass <= 1 + 1e-5, "probabilities sum past 1: " + mass);
      }
    }
  }

  @Test
  void noLogprobsUnlessAsked() {
    Golden.Case c = golden.cases().getFirst();
    assertTrue(gemma.generate(Prompt.ids(c.inputIds()), GenerationGoldenTest.greedy(c)).logprobs().isEmpty());
  }
}
