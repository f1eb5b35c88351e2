package dev.gemma4j.internal.engine;

import dev.gemma4j.GemmaException;
import dev.gemma4j.Generation;
import dev.gemma4j.TokenEvent;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands one request's tokens to its listener and completes its future, in order, on a thread of the
 * delivery executor, never on the engine thread: a listener that blocks delays only its own request, and
 * one that throws (an {@link Error} included) fails only its own request. The engine thread only
 * enqueues.
 */
public final class RequestDelivery {
  private static final Logger LOG = LoggerFactory.getLogger(RequestDelivery.class);

  /** A listener that wants nothing: its tokens are not even enqueued. */
  public static final Consumer<TokenEvent> NONE = event -> {};

  private final Consumer<TokenEvent> listener;
  private final GenerationFuture future;
  private final Executor executor;
  private final Runnable cancelGeneration;
  private final Queue<Object> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger work = new AtomicInteger();
  private volatile boolean listenerFailed;

  public RequestDelivery(Consumer<TokenEvent> listener, GenerationFuture future, Executor executor, Runnable cancelGeneration) {
    this.listener = listener;
    this.future = future;
    this.executor = executor;
    this.cancelGeneration = cancelGeneration;
  }

  /** Enqueues a token for the listener. */
  public void token(TokenEvent event) {
    if (listener != NONE && !listenerFailed) {
      enqueue(event);
    }
  }

  /** Completes the future with the result, after every token enqueued before. */
  public void complete(Generation generation) {
    enqueue(generation);
  }

  /** Completes the future with a failure, after every token enqueued before. */
  public void fail(Throwable failure) {
    enqueue(failure);
  }

  private void enqueue(Object item) {
    pending.add(item);
    if (work.getAndIncrement() == 0) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    int missed = 1;
    do {
      Object item;
      while ((item = pending.poll()) != null) {
        deliver(item);
      }
      missed = work.addAndGet(-missed);
    } while (missed != 0);
  }

  private void deliver(Object item) {
    switch (item) {
      case TokenEvent event when !listenerFailed -> {
        try {
          listener.accept(event);
        } catch (Throwable t) {
          listenerFailed = true;
          LOG.warn("a token listener threw; its request is cancelled", t);
          future.completeExceptionally(
              new GemmaException("the token listener of this request threw " + t + "; the request was cancelled", t));
          cancelGeneration.run();
          if (t instanceof VirtualMachineError fatal) {
            throw fatal;
          }
        }
      }
      case TokenEvent ignored -> {}
      case Generation generation -> future.complete(generation);
      case Throwable failure -> future.completeExceptionally(failure);
      default -> throw new IllegalStateException("unexpected delivery " + item);
    }
  }
}
