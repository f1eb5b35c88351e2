package dev.gemma4j;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A generation consumed by pulling: iterate it (or take {@link #events()} as a {@link Stream}) to get
 * each token as it is generated, then read {@link #result()}. Closing it before the end cancels the
 * generation. One consumer at a time. A failed generation ends the iteration with a
 * {@link GemmaException}; an interrupt while waiting cancels the generation and throws one.
 */
public final class TokenStream implements AutoCloseable, Iterable<TokenEvent> {
  private static final Object END = new Object();

  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final GenerationHandle handle;

  TokenStream(Function<Consumer<TokenEvent>, GenerationHandle> start) {
    this.handle = start.apply(queue::add);
    handle.result().whenComplete((g, e) -> queue.add(END));
  }

  /** The tokens, in order, as they are generated; the stream ends with the generation. */
  public Stream<TokenEvent> events() {
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL), false)
        .onClose(this::close);
  }

  /** Iterates the tokens; {@code next()} blocks until the next one is generated. */
  @Override
  public Iterator<TokenEvent> iterator() {
    return new Iterator<>() {
      private Object next;

      @Override
      public boolean hasNext() {
        if (next == null) {
          try {
            next = queue.take();
          } catch (InterruptedException e) {
            handle.cancel();
            Thread.currentThread().interrupt();
            throw new GemmaException("interrupted while waiting for the next token; the generation was cancelled", e);
          }
        }
        if (next == END) {
          queue.add(END);
          rethrowFailure();
          return false;
        }
        return true;
      }

      @Override
      public TokenEvent next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        TokenEvent event = (TokenEvent) next;
        next = null;
        return event;
      }
    };
  }

  private void rethrowFailure() {
    if (handle.result().isCompletedExceptionally()) {
      handle.await(); // throws the failure as a GemmaException
    }
  }

  /** The final result; completes when the generation ends. */
  public CompletableFuture<Generation> result() {
    return handle.result();
  }

  /** Cancels the generation if it is still running. */
  @Override
  public void close() {
    if (!handle.result().isDone()) {
      handle.cancel();
    }
  }
}
