package dev.gemma4j.backend.npu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The one platform thread that talks to a device: CANN binds the device context (set by
 * {@code aclrtSetDevice}) to the calling thread, so every device call of a backend runs here.
 */
final class DeviceThread implements AutoCloseable {
  private final ExecutorService executor;
  private volatile Thread thread;

  DeviceThread(String name) {
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = Thread.ofPlatform().name(name).daemon().unstarted(r);
              thread = t;
              return t;
            });
  }

  /** Runs {@code work} on the device thread and returns its result; exceptions pass through unwrapped. */
  <R> R call(Supplier<R> work) {
    if (Thread.currentThread() == thread) {
      return work.get();
    }
    Future<R> result = executor.submit(work::get);
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the device", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  boolean isCurrent() {
    return Thread.currentThread() == thread;
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
