package dev.gemma4j.internal.engine;

import dev.gemma4j.EngineClosedException;
import dev.gemma4j.GemmaException;
import dev.gemma4j.QueueFullException;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The engine's state machine and its one lock (like OkHttp's dispatcher): {@code RUNNING}, then
 * {@code CLOSED} after {@link #close()}, or {@code FAILED} with its cause when the engine thread dies.
 * Submissions are accepted and queued under the same lock that the engine thread takes when it leaves, so
 * a request is either queued before the engine stops, and then ended by it, or refused: none is
 * stranded, however {@code submit} and {@code close} race.
 */
final class EngineLifecycle {
  enum State {
    RUNNING,
    CLOSING,
    CLOSED,
    FAILED
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Deque<Request> incoming = new ArrayDeque<>();
  private final int queueCapacity;
  private State state = State.RUNNING;
  private @Nullable Throwable failure;

  EngineLifecycle(int queueCapacity) {
    this.queueCapacity = queueCapacity;
  }

  /**
   * Queues a request for the engine thread.
   *
   * @param waiting requests already waiting inside the scheduler
   * @throws GemmaException when the engine is closed or failed, or the queue is full
   */
  void submit(Request request, int waiting) {
    lock.lock();
    try {
      switch (state) {
        case RUNNING -> {
          if (incoming.size() + waiting >= queueCapacity) {
            throw new QueueFullException(
                "the request queue is full (" + queueCapacity + " waiting); retry later, keep fewer requests"
                    + " in flight, or raise EngineOptions.queueCapacity");
          }
          incoming.add(request);
          changed.signalAll();
        }
        case CLOSING, CLOSED -> throw new EngineClosedException("this model is closed; open it again to generate", null);
        case FAILED -> throw failedError();
      }
    } finally {
      lock.unlock();
    }
  }

  private GemmaException failedError() {
    return new EngineClosedException(
        "the engine failed and serves no more requests (" + failure + "); close this model and open it"
            + " again",
        failure);
  }

  /** The failure that ended the engine, wrapped for a request that was pending when it happened. */
  GemmaException failureFor() {
    lock.lock();
    try {
      return failedError();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Engine thread: waits while there is nothing to do, then moves newly submitted requests to
   * {@code sink}. Returns false once the engine must stop.
   */
  boolean awaitWork(boolean hasWork, Consumer<Request> sink) throws InterruptedException {
    lock.lock();
    try {
      while (state == State.RUNNING && !hasWork && incoming.isEmpty()) {
        changed.await();
      }
      while (!incoming.isEmpty()) {
        sink.accept(incoming.poll());
      }
      return state == State.RUNNING;
    } finally {
      lock.unlock();
    }
  }

  /** Asks the engine to stop; true for the call that did. */
  boolean requestClose() {
    lock.lock();
    try {
      if (state != State.RUNNING) {
        return false;
      }
      state = State.CLOSING;
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Engine thread, on its way out: records the final state ({@code FAILED} with {@code cause}, else
   * {@code CLOSED}) and returns the requests still queued, which the caller must end.
   */
  List<Request> stop(@Nullable Throwable cause) {
    lock.lock();
    try {
      if (cause != null) {
        state = State.FAILED;
        failure = cause;
      } else if (state != State.FAILED) {
        state = State.CLOSED;
      }
      List<Request> left = new ArrayList<>(incoming);
      incoming.clear();
      changed.signalAll();
      return left;
    } finally {
      lock.unlock();
    }
  }

  State state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }
}
