package dev.adjoint.runtime.parallel;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs loops of independent chunks on a shared pool of daemon threads.
 *
 * <p>The caller fixes the chunking; the pool only decides which thread runs which chunk. A kernel
 * whose chunks write disjoint outputs therefore produces bitwise identical results for any thread
 * count. The calling thread works on chunks too, and a {@code forEach} called from inside a chunk
 * runs inline, so nested parallel kernels neither deadlock nor oversubscribe.
 *
 * <p>The thread count comes from the system property {@code adjoint.threads} (default: the number
 * of available processors) and can be changed with {@link #setThreads(int)}.
 */
public final class Parallel {
  private static final ThreadLocal<Boolean> INSIDE_CHUNK = ThreadLocal.withInitial(() -> false);
  private static volatile Pool pool = new Pool(initialThreads());

  private Parallel() {}

  /**
   * Runs {@code body.accept(chunk)} for every chunk in [0, chunks), in parallel, and returns when
   * all have finished. The first exception thrown by a chunk is rethrown here once every started
   * chunk has finished; chunks not yet started are skipped.
   */
  public static void forEach(int chunks, IntConsumer body) {
    if (chunks < 0) {
      throw new IllegalArgumentException("Parallel.forEach: negative chunk count " + chunks);
    }
    Pool current = pool;
    if (chunks == 1 || current.threads == 1 || INSIDE_CHUNK.get()) {
      runInline(chunks, body);
      return;
    }
    current.run(chunks, body);
  }

  /** The number of threads, the caller included, that {@link #forEach} uses. */
  public static int threads() {
    return pool.threads;
  }

  /**
   * Sets the thread count for later {@link #forEach} calls (benchmarks and determinism tests use
   * this). Loops already running finish on the old pool.
   */
  public static synchronized void setThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("Parallel.setThreads: need at least 1 thread, got " + threads);
    }
    if (threads == pool.threads) {
      return;
    }
    Pool old = pool;
    pool = new Pool(threads);
    old.shutdown();
  }

  private static void runInline(int chunks, IntConsumer body) {
    boolean nested = INSIDE_CHUNK.get();
    INSIDE_CHUNK.set(true);
    try {
      for (int chunk = 0; chunk < chunks; chunk++) {
        body.accept(chunk);
      }
    } finally {
      INSIDE_CHUNK.set(nested);
    }
  }

  private static int initialThreads() {
    String property = System.getProperty("adjoint.threads");
    if (property == null || property.isBlank()) {
      return Runtime.getRuntime().availableProcessors();
    }
    try {
      int threads = Integer.parseInt(property.strip());
      if (threads >= 1) {
        return threads;
      }
    } catch (NumberFormatException e) {
      // Reported below with the offending value.
    }
    throw new IllegalArgumentException(
        "system property adjoint.threads must be a positive integer, got '" + property + "'");
  }

  /** {@code threads - 1} workers (started on first use); the calling thread is the last one. */
  private static final class Pool {
    final int threads;
    private final ExecutorService workers;

    Pool(int threads) {
      this.threads = threads;
      this.workers =
          Executors.newFixedThreadPool(
              Math.max(1, threads - 1),
              runnable -> {
                Thread thread = new Thread(runnable, "adjoint-worker");
                thread.setDaemon(true);
                return thread;
              });
    }

    void run(int chunks, IntConsumer body) {
      Loop loop = new Loop(chunks, body);
      int helpers = Math.min(threads, chunks) - 1;
      for (int i = 0; i < helpers; i++) {
        workers.execute(loop::work);
      }
      loop.work();
      loop.awaitAllChunks();
      Throwable failure = loop.failure.get();
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      if (failure != null) {
        throw new IllegalStateException("a parallel chunk failed", failure);
      }
    }

    void shutdown() {
      workers.shutdown();
    }
  }

  /**
   * One {@code forEach} call: threads claim chunks from a shared counter until none is left. After
   * a failure the remaining chunks are claimed but skipped, so the caller only ever waits for
   * chunks that some thread is running; a helper that starts late finds nothing to do.
   */
  private static final class Loop {
    final int chunks;
    final IntConsumer body;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread caller = Thread.currentThread();

    Loop(int chunks, IntConsumer body) {
      this.chunks = chunks;
      this.body = body;
    }

    void work() {
      boolean nested = INSIDE_CHUNK.get();
      INSIDE_CHUNK.set(true);
      try {
        int chunk;
        while ((chunk = next.getAndIncrement()) < chunks) {
          try {
            if (failure.get() == null) {
              body.accept(chunk);
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          } finally {
            if (finished.incrementAndGet() == chunks && Thread.currentThread() != caller) {
              LockSupport.unpark(caller);
            }
          }
        }
      } finally {
        INSIDE_CHUNK.set(nested);
      }
    }

    void awaitAllChunks() {
      // Chunks are often short: spin briefly before parking.
      for (int spin = 0; finished.get() != chunks && spin < 20_000; spin++) {
        Thread.onSpinWait();
      }
      while (finished.get() != chunks) {
        LockSupport.park(this);
      }
    }
  }
}
