package dev.gemma4j.server.internal;

import dev.gemma4j.GenerationHandle;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** The server's HTTP exchanges in flight and their generations, so that shutting down can drain them. */
public final class InFlight {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private final Set<GenerationHandle> generations = ConcurrentHashMap.newKeySet();
  private int exchanges;

  /** An exchange began. */
  public void enter() {
    lock.lock();
    try {
      exchanges++;
    } finally {
      lock.unlock();
    }
  }

  /** An exchange ended. */
  public void exit() {
    lock.lock();
    try {
      if (--exchanges == 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  void add(GenerationHandle handle) {
    generations.add(handle);
  }

  void remove(GenerationHandle handle) {
    generations.remove(handle);
  }

  /** Exchanges being answered now. */
  public int exchanges() {
    lock.lock();
    try {
      return exchanges;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until no exchange is in flight or {@code timeout} passed; true when none is. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      while (exchanges > 0 && left > 0) {
        left = idle.awaitNanos(left);
      }
      return exchanges == 0;
    } finally {
      lock.unlock();
    }
  }

  /** Cancels every generation in flight; their exchanges then end with what was generated. */
  public void cancelAll() {
    generations.forEach(GenerationHandle::cancel);
  }
}
