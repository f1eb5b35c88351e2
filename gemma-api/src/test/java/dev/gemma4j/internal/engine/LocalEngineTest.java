package dev.gemma4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.FinishReason;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaException;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.GenerationHandle;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.engine.EngineOptions;
import dev.gemma4j.spi.Sampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The local engine's lifecycle and isolation against a fake runner: no request is stranded by close(),
 * an engine failure reaches every caller with its cause, and nothing one request carries (a listener
 * that blocks or throws, a huge timeout, a sampler of its own) affects another.
 */
@Timeout(60)
class LocalEngineTest {

  static int[] prompt(int seed, int length) {
    return IntStream.range(0, length).map(i -> i == 0 ? 2 : 3 + (seed * 31 + i * 17) % 500).toArray();
  }

  static GenerationConfig tokens(int n) {
    return GenerationConfig.builder().maxNewTokens(n).ignoreEos(true).build();
  }

  static int[] ids(Generation g) {
    return g.tokenIds().stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void requestsGetWhatTheModelGivesThemWhateverTheyAreBatchedWith() {
    FakeRunner runner = new FakeRunner();
    try (LocalEngine engine = runner.engine(EngineOptions.defaults().withMaxBatchTokens(9))) {
      List<GenerationHandle> handles = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        handles.add(engine.submit(prompt(i, 3 + i * 2), tokens(5 + i), RequestDelivery.NONE));
      }
      for (int i = 0; i < 12; i++) {
        Generation g = handles.get(i).await();
        assertArrayEquals(FakeRunner.expected(prompt(i, 3 + i * 2), 5 + i), ids(g));
        assertEquals(FinishReason.LENGTH, g.finishReason());
      }
      assertEquals(0, engine.stats().blocksInUse(), "every block came back");
    }
  }

  @RepeatedTest(20)
  void closeRacingSubmitAndCancelFromManyThreadsStrandsNoRequest() throws Exception {
    FakeRunner runner = new FakeRunner();
    LocalEngine engine = runner.engine(EngineOptions.defaults());
    List<CompletableFuture<Generation>> futures = new CopyOnWriteArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
      for (int t = 0; t < 16; t++) {
        int seed = t;
        clients.submit(() -> {
          go.await();
          for (int i = 0; i < 20; i++) {
            try {
              GenerationHandle h = engine.submit(prompt(seed * 20 + i, 4), tokens(50), RequestDelivery.NONE);
              futures.add(h.result());
              if (i % 3 == 0) {
                h.cancel();
              }
            } catch (GemmaException closed) {
              assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            }
          }
          return null;
        });
      }
      go.countDown();
      Thread.sleep(2);
      engine.close();
    }
    for (CompletableFuture<Generation> f : futures) {
      Generation g = f.get(10, TimeUnit.SECONDS); // none stranded
      assertTrue(g.finishReason() == FinishReason.CANCELLED || g.finishReason() == FinishReason.LENGTH);
    }
    assertThrows(GemmaException.class, () -> engine.submit(prompt(1, 3), tokens(1), RequestDelivery.NONE));
    assertTrue(runner.closed, "the runner was freed");
  }

  @Test
  void anEngineFailureFailsEveryPendingAndLaterCallWithItsCause() throws Exception {
    FakeRunner runner = new FakeRunner();
    Semaphore gate = new Semaphore(2);
    runner.gate = gate;
    LocalEngine engine = runner.engine(EngineOptions.defaults());
    Error cause = new OutOfMemoryError("simulated: the device ran out of memory");
    CountDownLatch first = new CountDownLatch(1);
    GenerationHandle streaming = engine.submit(prompt(1, 4), tokens(1000), e -> first.countDown());
    assertTrue(first.await(10, TimeUnit.SECONDS));
    GenerationHandle other = engine.submit(prompt(2, 4), tokens(10), RequestDelivery.NONE);
    runner.failure = plan -> cause;
    gate.release(1000);
    for (GenerationHandle h : List.of(streaming, other)) {
      GemmaException e = assertThrows(GemmaException.class, h::await);
      assertTrue(e.getMessage().contains("the engine failed"), e.getMessage());
      assertSame(cause, rootCause(e));
    }
    GemmaException later = assertThrows(GemmaException.class, () -> engine.submit(prompt(3, 4), tokens(1), RequestDelivery.NONE));
    assertSame(cause, later.getCause());
    assertTrue(later.getMessage().contains("open it again"), later.getMessage());
    engine.close(); // still fine to call
  }

  static Throwable rootCause(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Test
  void aFailingStepFailsOnlyItsRequestsAndTheEngineServesOn() {
    FakeRunner runner = new FakeRunner();
    try (LocalEngine engine = runner.engine(EngineOptions.defaults())) {
      // The bad request's prompt is the only one of 7 tokens, run as one chunk from position 0.
      runner.failure = plan -> plan.stream().anyMatch(c -> c.start() == 0 && c.count() == 7)
          ? new IllegalStateException("operator aclnnSoftmax failed") : null;
      GenerationHandle bad = engine.submit(prompt(1, 7), tokens(5), RequestDelivery.NONE);
      GemmaException e = assertThrows(GemmaException.class, bad::await);
      assertTrue(e.getMessage().contains("forward step failed") && e.getMessage().contains("aclnnSoftmax"), e.getMessage());
      Generation good = engine.submit(prompt(2, 4), tokens(5), RequestDelivery.NONE).await();
      assertArrayEquals(FakeRunner.expected(prompt(2, 4), 5), ids(good));
    }
  }

  @Test
  void aConsumerThatBlocksDelaysNoOtherRequest() throws Exception {
    FakeRunner alone = new FakeRunner();
    List<List<Integer>> stepsAlone = new ArrayList<>();
    try (LocalEngine engine = alone.engine(EngineOptions.defaults())) {
      List<Request> others = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        others.add((Request) engine.submit(prompt(i, 5), tokens(20), RequestDelivery.NONE));
      }
      for (Request r : others) {
        r.await();
        stepsAlone.add(alone.stepsOf(r));
      }
    }
    FakeRunner withSlow = new FakeRunner();
    CountDownLatch othersDone = new CountDownLatch(4);
    try (LocalEngine engine = withSlow.engine(EngineOptions.defaults())) {
      // Its listener blocks its delivery thread until every other request has finished: if the engine
      // waited for it, the others could never finish and the test would time out.
      GenerationHandle slow = engine.submit(prompt(99, 5), tokens(20), e -> {
        try {
          othersDone.await();
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
      });
      List<Request> others = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Request r = (Request) engine.submit(prompt(i, 5), tokens(20), RequestDelivery.NONE);
        others.add(r);
        r.result().whenComplete((g, t) -> othersDone.countDown());
      }
      for (int i = 0; i < others.size(); i++) {
        others.get(i).await();
        List<Integer> steps = withSlow.stepsOf(others.get(i));
        List<Integer> reference = stepsAlone.get(i);
        assertEquals(reference.size(), steps.size(), "request " + i + " ran in as many steps");
        assertEquals(reference.getLast() - reference.getFirst(), steps.getLast() - steps.getFirst(),
            "request " + i + " finished as many steps after it started");
      }
      assertEquals(20, slow.await().tokenIds().size(), "the slow consumer still gets its whole generation");
    }
  }

  @Test
  void aListenerThatThrowsAnErrorFailsOnlyItsOwnRequest() {
    FakeRunner runner = new FakeRunner();
    try (LocalEngine engine = runner.engine(EngineOptions.defaults())) {
      GenerationHandle other = engine.submit(prompt(1, 4), tokens(30), RequestDelivery.NONE);
      GenerationHandle bad = engine.submit(prompt(2, 4), tokens(30), e -> {
        if (e.index() == 2) {
          throw new AssertionError("a test's assertion inside a listener");
        }
      });
      GemmaException e = assertThrows(GemmaException.class, bad::await);
      assertInstanceOf(AssertionError.class, e.getCause().getCause());
      assertArrayEquals(FakeRunner.expected(prompt(1, 4), 30), ids(other.await()));
      assertArrayEquals(FakeRunner.expected(prompt(3, 4), 3), ids(engine.submit(prompt(3, 4), tokens(3), RequestDelivery.NONE).await()));
    }
  }

  @Test
  void anEnormousTimeoutSaturatesAndHarmsNoOne() {
    FakeRunner runner = new FakeRunner();
    try (LocalEngine engine = runner.engine(EngineOptions.defaults())) {
      GenerationConfig forever = GenerationConfig.builder().maxNewTokens(8).ignoreEos(true)
          .timeout(Duration.ofSeconds(Long.MAX_VALUE)).build();
      GenerationHandle a = engine.submit(prompt(1, 4), forever, RequestDelivery.NONE);
      GenerationHandle b = engine.submit(prompt(2, 4), tokens(8), RequestDelivery.NONE);
      assertEquals(FinishReason.LENGTH, a.await().finishReason());
      assertEquals(FinishReason.LENGTH, b.await().finishReason());
    }
  }

  @Test
  void closingFromInsideAListenerDoesNotDeadlockAndEndsEveryRequest() throws Exception {
    FakeRunner runner = new FakeRunner();
    runner.stepMillis = 1;
    LocalEngine engine = runner.engine(EngineOptions.defaults());
    GenerationHandle other = engine.submit(prompt(1, 4), tokens(10_000), RequestDelivery.NONE);
    AtomicReference<Throwable> problem = new AtomicReference<>();
    GenerationHandle closer = engine.submit(prompt(2, 4), tokens(10_000), e -> {
      if (e.index() == 3) {
        try {
          engine.close();
        } catch (Throwable t) {
          problem.set(t);
        }
      }
    });
    assertEquals(FinishReason.CANCELLED, closer.result().get(10, TimeUnit.SECONDS).finishReason());
    assertEquals(FinishReason.CANCELLED, other.result().get(10, TimeUnit.SECONDS).finishReason());
    assertEquals(null, problem.get());
    assertTrue(runner.closed);
  }

  @Test
  void cancellingTheFutureCancelsTheGeneration() throws Exception {
    FakeRunner runner = new FakeRunner();
    runner.stepMillis = 1;
    try (LocalEngine engine = runner.engine(EngineOptions.defaults())) {
      CountDownLatch started = new CountDownLatch(1);
      Request r = (Request) engine.submit(prompt(1, 4), tokens(100_000), e -> started.countDown());
      assertTrue(started.await(10, TimeUnit.SECONDS));
      assertTrue(r.result().cancel(true));
      waitUntil(() -> engine.stats().running() == 0);
      int stepsAfter = runner.stepsOf(r).size();
      Thread.sleep(50);
      assertEquals(stepsAfter, runner.stepsOf(r).size(), "no step runs it after the cancel");
      assertTrue(stepsAfter < 100_000);
    }
  }

  @Test
  void anInterruptedWaitCancelsTheGenerationAndThrowsAtOnce() throws Exception {
    FakeRunner runner = new FakeRunner();
    runner.stepMillis = 1;
    try (LocalEngine engine = runner.engine(EngineOptions.defaults());
        Gemma gemma = Gemma.on(engine)) {
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicReference<Boolean> flag = new AtomicReference<>();
      Thread caller = Thread.ofPlatform().start(() -> {
        try {
          gemma.generate(Prompt.ids(prompt(1, 4)), tokens(1_000_000));
        } catch (Throwable t) {
          thrown.set(t);
          flag.set(Thread.currentThread().isInterrupted());
        }
      });
      waitUntil(() -> engine.stats().running() == 1);
      caller.interrupt();
      caller.join(10_000);
      assertFalse(caller.isAlive());
      assertInstanceOf(GemmaException.class, thrown.get());
      assertTrue(flag.get(), "the interrupt flag is kept");
      waitUntil(() -> engine.stats().running() == 0);
    }
  }

  @Test
  void failuresReachGenerateAsGemmaExceptionsNotCompletionExceptions() {
    FakeRunner runner = new FakeRunner();
    runner.nonFinite = true;
    try (Gemma gemma = Gemma.on(runner.engine(EngineOptions.defaults()))) {
      GemmaException e = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.ids(prompt(1, 4)), tokens(3)));
      assertTrue(e.getMessage().contains("NaN or infinite logits"), e.getMessage());
      GenerationConfig sampled = GenerationConfig.builder().maxNewTokens(3).temperature(0.7).seed(1).build();
      GemmaException s = assertThrows(GemmaException.class, () -> gemma.generate(Prompt.ids(prompt(1, 4)), sampled));
      assertTrue(s.getMessage().contains("NaN or infinite logits"), s.getMessage());
    }
  }

  @Test
  void aSamplerOfTheCallersOwnChoosesEveryTokenAndItsFailuresStayWithItsRequest() {
    FakeRunner runner = new FakeRunner();
    try (LocalEngine engine = runner.engine(EngineOptions.defaults())) {
      Sampler always42 = (logits, history) -> 42;
      Generation g = engine.submit(prompt(1, 4), tokens(5).toBuilder().sampler(always42).build(), RequestDelivery.NONE).await();
      assertArrayEquals(new int[] {42, 42, 42, 42, 42}, ids(g));

      Sampler outOfRange = (logits, history) -> logits.length;
      GenerationHandle good = engine.submit(prompt(2, 4), tokens(20), RequestDelivery.NONE);
      GemmaException e = assertThrows(GemmaException.class,
          () -> engine.submit(prompt(3, 4), tokens(5).toBuilder().sampler(outOfRange).build(), RequestDelivery.NONE).await());
      assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
      Sampler throwing = (logits, history) -> {
        throw new IllegalStateException("broken sampler");
      };
      GemmaException t = assertThrows(GemmaException.class,
          () -> engine.submit(prompt(4, 4), tokens(5).toBuilder().sampler(throwing).build(), RequestDelivery.NONE).await());
      assertTrue(t.getMessage().contains("broken sampler"), t.getMessage());
      assertArrayEquals(FakeRunner.expected(prompt(2, 4), 20), ids(good.await()));
    }
  }

  @Test
  void aFullQueueRejectsNamingTheOption() {
    FakeRunner runner = new FakeRunner();
    runner.stepMillis = 1;
    try (LocalEngine engine = runner.engine(EngineOptions.defaults().withMaxBatchSize(1).withQueueCapacity(3))) {
      List<GenerationHandle> accepted = new ArrayList<>();
      GemmaException e = assertThrows(GemmaException.class, () -> {
        for (int i = 0; i < 50; i++) {
          accepted.add(engine.submit(prompt(i, 4), tokens(100_000), RequestDelivery.NONE));
        }
      });
      assertTrue(e.getMessage().contains("queue is full") && e.getMessage().contains("queueCapacity"), e.getMessage());
      accepted.forEach(GenerationHandle::cancel);
    }
  }

  @Test
  void aPublisherAnswersANonPositiveRequestWithOnError() throws Exception {
    FakeRunner runner = new FakeRunner();
    runner.stepMillis = 1;
    try (Gemma gemma = Gemma.on(runner.engine(EngineOptions.defaults()))) {
      for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        List<TokenEvent> received = new CopyOnWriteArrayList<>();
        gemma.publisher(Prompt.ids(prompt(1, 4)), tokens(1000)).subscribe(new Flow.Subscriber<>() {
          Flow.Subscription subscription;

          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(2);
          }

          @Override
          public void onNext(TokenEvent item) {
            received.add(item);
            if (received.size() == 2) {
              subscription.request(bad);
            }
          }

          @Override
          public void onError(Throwable t) {
            error.complete(t);
          }

          @Override
          public void onComplete() {
            error.complete(null);
          }
        });
        Throwable t = error.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IllegalArgumentException.class, t, "rule 3.9 for request(" + bad + ")");
        assertEquals(2, received.size());
      }
      waitUntil(() -> gemma.engineStats().running() == 0);
    }
  }

  static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("condition not reached in 10 s");
      }
      Thread.sleep(5);
    }
  }
}
