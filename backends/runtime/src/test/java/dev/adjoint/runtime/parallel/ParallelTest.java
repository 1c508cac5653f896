package dev.adjoint.runtime.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
  private final int initialThreads = Parallel.threads();

  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(initialThreads);
  }

  @Test
  void everyChunkRunsExactlyOnceForAnyThreadCount() {
    for (int threads : new int[] {1, 2, 3, 8}) {
      Parallel.setThreads(threads);
      assertEquals(threads, Parallel.threads());
      for (int chunks : new int[] {0, 1, 2, 7, 1000}) {
        AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
        Parallel.forEach(chunks, runs::incrementAndGet);
        for (int i = 0; i < chunks; i++) {
          assertEquals(1, runs.get(i), "chunk " + i + " of " + chunks + " on " + threads);
        }
      }
    }
  }

  @Test
  void severalThreadsShareTheWork() {
    Parallel.setThreads(4);
    Set<Thread> seen = ConcurrentHashMap.newKeySet();
    Parallel.forEach(
        64,
        chunk -> {
          seen.add(Thread.currentThread());
          long until = System.nanoTime() + 1_000_000;
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
        });
    assertTrue(seen.size() > 1, "ran on " + seen.size() + " thread(s)");
  }

  @Test
  void nestedLoopsRunInlineOnTheThreadOfTheirChunk() {
    Parallel.setThreads(3);
    AtomicIntegerArray runs = new AtomicIntegerArray(6 * 5);
    Parallel.forEach(
        6,
        outer -> {
          Thread thread = Thread.currentThread();
          Parallel.forEach(
              5,
              inner -> {
                assertSame(thread, Thread.currentThread());
                runs.incrementAndGet(outer * 5 + inner);
              });
        });
    for (int i = 0; i < runs.length(); i++) {
      assertEquals(1, runs.get(i));
    }
  }

  @Test
  void aFailingChunkFailsTheLoopAndThePoolKeepsWorking() {
    Parallel.setThreads(2);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Parallel.forEach(
                    10,
                    chunk -> {
                      if (chunk == 3) {
                        throw new IllegalStateException("chunk three");
                      }
                    }));
    assertEquals("chunk three", e.getMessage());
    AtomicIntegerArray runs = new AtomicIntegerArray(10);
    Parallel.forEach(10, runs::incrementAndGet);
    for (int i = 0; i < 10; i++) {
      assertEquals(1, runs.get(i));
    }
  }

  /**
   * Many callers at once, some pausing long enough between loops for the workers to park: every
   * loop completes (no lost wake-up), every chunk exactly once.
   */
  @Test
  void concurrentCallersAndParkedWorkersNeverLoseALoop() {
    Parallel.setThreads(3);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Thread[] callers = new Thread[6];
      AtomicIntegerArray failures = new AtomicIntegerArray(callers.length);
      for (int t = 0; t < callers.length; t++) {
        int caller = t;
        callers[t] = new Thread(() -> {
          for (int loop = 0; loop < 300; loop++) {
            int chunks = 1 + (loop * 7 + caller) % 9;
            AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
            Parallel.forEach(chunks, runs::incrementAndGet);
            for (int i = 0; i < chunks; i++) {
              if (runs.get(i) != 1) {
                failures.incrementAndGet(caller);
              }
            }
            if (loop % 50 == caller) {
              LockSupport.parkNanos(2 * Parallel.SPIN_NANOS);
            }
          }
        });
        callers[t].start();
      }
      for (Thread caller : callers) {
        caller.join();
      }
      for (int t = 0; t < callers.length; t++) {
        assertEquals(0, failures.get(t), "caller " + t);
      }
    });
  }

  @Test
  void invalidCountsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    assertThrows(IllegalArgumentException.class, () -> Parallel.forEach(-1, chunk -> {}));
  }
}
