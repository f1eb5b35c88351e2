package dev.gemma4j;

import dev.gemma4j.spi.Generator;
import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A cold {@link Flow.Publisher} of a generation's tokens: each subscription starts its own generation,
 * delivers tokens as demand allows, completes when the generation ends (or signals its error), and
 * cancels the generation when the subscriber cancels. Tokens produced ahead of demand are buffered.
 */
final class TokenPublisher implements Flow.Publisher<TokenEvent> {
  private final Function<Consumer<TokenEvent>, Generator.Handle> start;

  TokenPublisher(Function<Consumer<TokenEvent>, Generator.Handle> start) {
    this.start = start;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super TokenEvent> subscriber) {
    Subscription subscription = new Subscription(subscriber);
    subscriber.onSubscribe(subscription);
    if (subscription.cancelled) {
      return; // cancelled in onSubscribe: nothing to start
    }
    try {
      subscription.handle = start.apply(subscription::offer);
      if (subscription.cancelled) {
        subscription.handle.cancel(); // cancelled while the generation was being started
      }
      subscription.handle.result().whenComplete((g, e) -> subscription.finish(e));
    } catch (RuntimeException e) {
      subscription.finish(e);
    }
  }

  private static final class Subscription implements Flow.Subscription {
    private final Flow.Subscriber<? super TokenEvent> subscriber;
    private final Queue<TokenEvent> buffer = new ConcurrentLinkedQueue<>();
    private final AtomicLong demand = new AtomicLong();
    private final AtomicInteger drains = new AtomicInteger();
    private volatile Generator.Handle handle;
    private volatile boolean done;
    private volatile Throwable error;
    private volatile boolean cancelled;
    private boolean terminated;

    Subscription(Flow.Subscriber<? super TokenEvent> subscriber) {
      this.subscriber = subscriber;
    }

    void offer(TokenEvent event) {
      buffer.add(event);
      drain();
    }

    void finish(Throwable failure) {
      error = failure;
      done = true;
      drain();
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        error = new IllegalArgumentException("request(" + n + "): demand must be positive (rule 3.9)");
        done = true;
        buffer.clear();
        cancel();
      } else {
        demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      }
      drain();
    }

    @Override
    public void cancel() {
      cancelled = true;
      Generator.Handle h = handle;
      if (h != null) {
        h.cancel();
      }
    }

    /** Delivers what demand allows; one thread at a time, the others leave work for it. */
    private void drain() {
      if (drains.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        while (!terminated && !cancelled && demand.get() > 0 && !buffer.isEmpty()) {
          subscriber.onNext(buffer.poll());
          demand.decrementAndGet();
        }
        if (!terminated && !cancelled && done && buffer.isEmpty()) {
          terminated = true;
          if (error != null) {
            subscriber.onError(error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error);
          } else {
            subscriber.onComplete();
          }
        }
        missed = drains.addAndGet(-missed);
      } while (missed != 0);
    }
  }
}
