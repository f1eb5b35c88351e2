package dev.gemma4j.backend.cpu.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run the CPU kernels: the calling thread plus {@code threads - 1} workers, one per
 * physical core in all, never running at the same time as PyTorch's pool (the engine thread calls one or
 * the other).
 *
 * <p>A decode step makes about two hundred kernel calls a few hundred microseconds apart, so handing work
 * over must cost next to nothing: workers spin for a millisecond after each job before they park, and a
 * job's range is claimed in chunks (about eight per thread) from a shared counter, so a thread that falls
 * behind does not hold up the others.
 */
public final class KernelPool implements AutoCloseable {
  /** A part of a range, run by one thread. */
  @FunctionalInterface
  public interface RangeTask {
    void run(int from, int to);
  }

  private static final long SPIN_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int CHUNKS_PER_THREAD = 8;

  /** One call's range, claimed chunk by chunk. */
  private static final class Job {
    final RangeTask task;
    final int n;
    final int chunk;
    final int chunks;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    volatile Throwable failure;

    Job(RangeTask task, int n, int chunk) {
      this.task = task;
      this.n = n;
      this.chunk = chunk;
      this.chunks = (n + chunk - 1) / chunk;
    }

    void work() {
      int c;
      while ((c = next.getAndIncrement()) < chunks) {
        try {
          if (failure == null) {
            task.run(c * chunk, Math.min(n, (c + 1) * chunk));
          }
        } catch (Throwable t) {
          failure = t;
        } finally {
          done.incrementAndGet();
        }
      }
    }
  }

  private final int threads;
  private final List<Thread> workers = new ArrayList<>();
  private volatile Job job;
  private volatile boolean closed;

  /** A pool of {@code threads} threads in all, the caller included. */
  public KernelPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("a kernel pool needs at least one thread: " + threads);
    }
    this.threads = threads;
    for (int i = 1; i < threads; i++) {
      workers.add(Thread.ofPlatform().name("gemma-cpu-kernel-" + i).daemon().start(this::serve));
    }
  }

  private void serve() {
    Job seen = null;
    long idleSince = System.nanoTime();
    while (!closed) {
      Job current = job;
      if (current != null && current != seen) {
        seen = current;
        current.work();
        idleSince = System.nanoTime();
      } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
        idleSince = System.nanoTime();
      }
    }
  }

  /** Threads in all. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code task} over {@code [0, n)} in parts whose bounds are multiples of {@code grain} (except the
   * end), on all the pool's threads, and waits for all of them. A failure in any part is rethrown here.
   */
  public void parallelFor(int n, int grain, RangeTask task) {
    if (threads == 1 || n <= grain) {
      task.run(0, n);
      return;
    }
    int perChunk = Math.max(grain, (n / (threads * CHUNKS_PER_THREAD) + grain - 1) / grain * grain);
    Job current = new Job(task, n, perChunk);
    job = current;
    for (Thread worker : workers) {
      LockSupport.unpark(worker);
    }
    current.work();
    while (current.done.get() < current.chunks) {
      Thread.onSpinWait();
    }
    Throwable t = current.failure;
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
  }

  @Override
  public void close() {
    closed = true;
    job = null;
    workers.forEach(LockSupport::unpark);
  }
}
