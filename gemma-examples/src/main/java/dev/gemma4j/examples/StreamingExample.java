package dev.gemma4j.examples;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.TokenEvent;
import dev.gemma4j.TokenStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;

/** Streaming in its three forms: a callback, a pull stream and a {@link Flow.Publisher}. */
public final class StreamingExample {
  private StreamingExample() {}

  /** Runs the example; the first argument names the model. */
  public static void main(String[] args) throws InterruptedException {
    GenerationConfig config = GenerationConfig.builder().maxNewTokens(24).build();
    Prompt prompt = Prompt.text("The capital of France is");
    try (Gemma gemma = Gemma.open(ExampleModel.fromArgs(args))) {
      // 1. A callback per token; the handle's future completes with the whole result.
      gemma.stream(prompt, config, token -> System.out.print(token.text())).result().join();
      System.out.println();

      // 2. Pull: iterate, or use events() as a java.util.stream.Stream; closing early cancels.
      try (TokenStream tokens = gemma.stream(prompt, config)) {
        for (TokenEvent token : tokens) {
          System.out.print(token.text());
        }
      }
      System.out.println();

      // 3. Reactive: a Flow.Publisher that honours demand.
      CountDownLatch done = new CountDownLatch(1);
      gemma.publisher(prompt, config).subscribe(new Flow.Subscriber<>() {
        private Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
          subscription = s;
          s.request(1);
        }

        @Override
        public void onNext(TokenEvent token) {
          System.out.print(token.text());
          subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
          error.printStackTrace();
          done.countDown();
        }

        @Override
        public void onComplete() {
          System.out.println();
          done.countDown();
        }
      });
      done.await();
    }
  }
}
