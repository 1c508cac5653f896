package dev.adjoint.runtime.parallel;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Runs loops of independent chunks on a shared pool of daemon threads.
 *
 * <p>The caller fixes the chunking; the pool only decides which thread runs which chunk. A kernel
 * whose chunks write disjoint outputs therefore produces bitwise identical results for any thread
 * count. The calling thread works on chunks too, and a {@code forEach} called from inside a chunk
 * runs inline, so nested parallel kernels neither deadlock nor oversubscribe.
 *
 * <p>Each thread of the pool has a home share of every loop's chunks (the caller the first, worker
 * i the (i + 1)-th) and runs it first, in order, before it helps with the others' shares. So
 * consecutive loops over the same data give the same thread the same chunks, and what a chunk
 * wrote stays in that core's cache: with a shared counter instead, which thread got which chunk
 * changed from call to call (in about 7% of two-thread GEMM calls at n = 256), and the rows of C
 * moved between the cores' caches each time.
 *
 * <p>Compiled programs call many short kernels in a row, so an idle worker spins for {@link
 * #SPIN_NANOS} before it parks: a loop that follows soon after the last one starts in about a
 * microsecond instead of the tens of microseconds a wake-up takes.
 *
 * <p>The thread count comes from the system property {@code adjoint.threads} (default: the number
 * of available processors) and can be changed with {@link #setThreads(int)}.
 */
public final class Parallel {
  /** How long an idle worker looks for new loops before it parks. */
  static final long SPIN_NANOS = 50_000;

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
    if (chunks <= 1 || current.threads == 1 || INSIDE_CHUNK.get()) {
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
   * this). Loops already running finish on the old pool, whose workers then exit.
   */
  public static synchronized void setThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException(
          "Parallel.setThreads: need at least 1 thread, got " + threads);
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

  /**
   * {@code threads - 1} workers, started with the pool; the thread calling {@link #run} is the
   * last one. Loops in progress sit in a queue that idle workers scan, so several callers (one
   * compiled program run from many threads) share the workers.
   */
  private static final class Pool {
    final int threads;
    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Loop> loops = new ConcurrentLinkedQueue<>();
    private volatile boolean shutdown;

    Pool(int threads) {
      this.threads = threads;
      this.workers = new Worker[threads - 1];
      for (int i = 0; i < workers.length; i++) {
        workers[i] = new Worker(this, i + 1);
        Thread thread = new Thread(workers[i]::work, "adjoint-worker-" + (i + 1));
        thread.setDaemon(true);
        workers[i].thread = thread;
        thread.start();
      }
    }

    void run(int chunks, IntConsumer body) {
      Loop loop = new Loop(chunks, body, threads);
      loops.add(loop);
      int wanted = Math.min(workers.length, chunks - 1);
      for (Worker worker : workers) {
        if (wanted == 0) {
          break;
        }
        if (worker.parked) {
          LockSupport.unpark(worker.thread);
        }
        wanted--;
      }
      loop.work(0);
      loops.remove(loop);
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

    /** The oldest loop that still has unclaimed chunks, or null. */
    @Nullable Loop nextLoop() {
      for (Loop loop : loops) {
        if (loop.hasUnclaimedChunks()) {
          return loop;
        }
        loops.remove(loop);
      }
      return null;
    }

    void shutdown() {
      shutdown = true;
      for (Worker worker : workers) {
        LockSupport.unpark(worker.thread);
      }
    }
  }

  private static final class Worker {
    private final Pool pool;
    /** The share of each loop this worker runs first. */
    private final int home;
    volatile boolean parked;
    @Nullable Thread thread;

    Worker(Pool pool, int home) {
      this.pool = pool;
      this.home = home;
    }

    void work() {
      INSIDE_CHUNK.set(true);
      long idleSince = System.nanoTime();
      while (!pool.shutdown) {
        Loop loop = pool.nextLoop();
        if (loop != null) {
          loop.work(home);
          idleSince = System.nanoTime();
        } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          // Announce the park, then look once more: a loop added in between either sees the
          // flag and unparks us, or is found by this second look.
          parked = true;
          if (pool.nextLoop() == null && !pool.shutdown) {
            LockSupport.park(this);
          }
          parked = false;
          idleSince = System.nanoTime();
        }
      }
    }
  }

  /**
   * One {@code forEach} call: the chunks in one share per pool thread, [s·chunks/shares,
   * (s + 1)·chunks/shares); each share has a counter its chunks are claimed from in order. A
   * thread claims from its home share until it is empty, then from the next shares. After a
   * failure the remaining chunks are claimed but skipped, so the caller only ever waits for chunks
   * that some thread is running.
   */
  private static final class Loop {
    final int chunks;
    final IntConsumer body;
    final int shares;
    /** Chunks claimed so far from each share. */
    final AtomicIntegerArray claimed;
    final AtomicInteger finished = new AtomicInteger();
    final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    final Thread caller = Thread.currentThread();

    Loop(int chunks, IntConsumer body, int shares) {
      this.chunks = chunks;
      this.body = body;
      this.shares = shares;
      this.claimed = new AtomicIntegerArray(shares);
    }

    private int shareStart(int share) {
      return (int) ((long) chunks * share / shares);
    }

    boolean hasUnclaimedChunks() {
      for (int share = 0; share < shares; share++) {
        if (claimed.get(share) < shareStart(share + 1) - shareStart(share)) {
          return true;
        }
      }
      return false;
    }

    /**
     * Claims and runs chunks, from share {@code home} on, until none is left; marks the thread as
     * inside a chunk meanwhile.
     */
    void work(int home) {
      boolean nested = INSIDE_CHUNK.get();
      INSIDE_CHUNK.set(true);
      try {
        for (int step = 0; step < shares; step++) {
          int share = (home + step) % shares;
          int start = shareStart(share);
          int size = shareStart(share + 1) - start;
          int index;
          while ((index = claimed.getAndIncrement(share)) < size) {
            run(start + index);
          }
        }
      } finally {
        INSIDE_CHUNK.set(nested);
      }
    }

    private void run(int chunk) {
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

    void awaitAllChunks() {
      // The last chunks are usually running already: spin briefly before parking.
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      while (finished.get() != chunks && System.nanoTime() < spinUntil) {
        Thread.onSpinWait();
      }
      while (finished.get() != chunks) {
        LockSupport.park(this);
      }
    }
  }
}
