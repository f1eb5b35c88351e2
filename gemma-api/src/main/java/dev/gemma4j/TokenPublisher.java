package dev.gemma4j;

import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cold {@link Flow.Publisher} of a generation's tokens, following the reactive-streams rules: each
 * subscription starts its own generation, delivers tokens as demand allows (signals are serialized, never
 * concurrent), completes when the generation ends or signals its error, and cancels the generation when
 * the subscriber cancels. A request of zero or fewer items signals {@code onError} with an
 * {@link IllegalArgumentException} and cancels the generation (rule 3.9). A subscriber method that
 * throws cancels the subscription (rule 2.13). Tokens produced ahead of demand are buffered.
 */
final class TokenPublisher implements Flow.Publisher<TokenEvent> {
  private static final Logger LOG = LoggerFactory.getLogger(TokenPublisher.class);

  private final Function<Consumer<TokenEvent>, GenerationHandle> start;

  TokenPublisher(Function<Consumer<TokenEvent>, GenerationHandle> start) {
    this.start = start;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super TokenEvent> subscriber) {
    Subscription subscription = new Subscription(subscriber);
    try {
      subscriber.onSubscribe(subscription);
    } catch (RuntimeException e) {
      LOG.warn("Flow.Subscriber.onSubscribe threw; the subscription is cancelled", e);
      subscription.cancel();
      return;
    }
    if (subscription.stopped()) {
      return; // cancelled or given a bad request in onSubscribe: nothing to start
    }
    try {
      GenerationHandle handle = start.apply(subscription::offer);
      subscription.started(handle);
      handle.result().whenComplete((g, e) -> subscription.finish(e));
    } catch (RuntimeException e) {
      subscription.finish(e);
    }
  }

  private static final class Subscription implements Flow.Subscription {
    private final Flow.Subscriber<? super TokenEvent> subscriber;
    private final Queue<TokenEvent> buffer = new ConcurrentLinkedQueue<>();
    private final AtomicLong demand = new AtomicLong();
    private final AtomicInteger drains = new AtomicInteger();
    private volatile @Nullable GenerationHandle handle;
    /** The generation ended (with {@link #error} when it failed). */
    private volatile boolean done;
    private volatile @Nullable Throwable error;
    /** A non-positive request: signalled as onError ahead of any buffered token. */
    private volatile @Nullable IllegalArgumentException badRequest;
    private volatile boolean cancelled;
    /** A terminal signal was sent: touched only by the draining thread. */
    private boolean terminated;

    Subscription(Flow.Subscriber<? super TokenEvent> subscriber) {
      this.subscriber = subscriber;
    }

    boolean stopped() {
      return cancelled || badRequest != null;
    }

    void started(GenerationHandle h) {
      handle = h;
      if (stopped()) {
        h.cancel(); // cancelled while the generation was being started
      }
    }

    void offer(TokenEvent event) {
      buffer.add(event);
      drain();
    }

    void finish(@Nullable Throwable failure) {
      error = failure;
      done = true;
      drain();
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        badRequest = new IllegalArgumentException(
            "Flow.Subscription.request(" + n + "): the number of items requested must be positive (rule 3.9)");
        cancelGeneration();
      } else {
        demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      }
      drain();
    }

    @Override
    public void cancel() {
      cancelled = true;
      cancelGeneration();
    }

    private void cancelGeneration() {
      GenerationHandle h = handle;
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
        try {
          deliver();
        } catch (RuntimeException e) {
          LOG.warn("a Flow.Subscriber method threw; the subscription is cancelled (rule 2.13)", e);
          terminated = true;
          cancel();
        }
        missed = drains.addAndGet(-missed);
      } while (missed != 0);
    }

    private void deliver() {
      if (terminated || cancelled) {
        buffer.clear();
        return;
      }
      IllegalArgumentException bad = badRequest;
      if (bad != null) {
        terminated = true;
        buffer.clear();
        subscriber.onError(bad);
        return;
      }
      while (!terminated && !cancelled && badRequest == null && demand.get() > 0 && !buffer.isEmpty()) {
        subscriber.onNext(buffer.poll());
        demand.decrementAndGet();
      }
      if (!terminated && !cancelled && badRequest == null && done && buffer.isEmpty()) {
        terminated = true;
        Throwable e = error;
        if (e != null) {
          subscriber.onError(e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e);
        } else {
          subscriber.onComplete();
        }
      }
    }
  }
}
