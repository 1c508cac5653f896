package dev.adjoint.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Timing with warm-up. Vector API code runs orders of magnitude slower before C2 compiles it, and
 * on a busy machine C2 may take seconds, so a fixed warm-up is either too short or wasteful.
 * Instead a body runs in rounds of at least {@link #ROUND_NANOS} until its speed is steady: two
 * rounds in a row within {@link #STEADY_TOLERANCE} of the best round so far, with no JIT
 * compilation during either, after at least {@link #MIN_WARMUP_NANOS}. Then {@link #SAMPLES}
 * rounds are timed and the median time per run is the result.
 */
final class Measurement {
  static final long ROUND_NANOS = 50_000_000L;
  static final long MIN_WARMUP_NANOS = 500_000_000L;
  static final long MAX_WARMUP_NANOS = 20_000_000_000L;
  static final double STEADY_TOLERANCE = 0.03;
  static final int SAMPLES = 7;

  /** Null on a JVM without a JIT. */
  private static final @Nullable CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  private Measurement() {}

  /** The median seconds per run of {@code body}. */
  static double medianSeconds(Runnable body) {
    long start = System.nanoTime();
    int runsPerRound;
    double best = Double.MAX_VALUE;
    int steadyRounds = 0;
    while (true) {
      long compileBefore = compileMillis();
      long roundStart = System.nanoTime();
      int runs = 0;
      do {
        body.run();
        runs++;
      } while (System.nanoTime() - roundStart < ROUND_NANOS);
      double perRun = (System.nanoTime() - roundStart) / 1e9 / runs;
      runsPerRound = runs;
      boolean steady = perRun <= best * (1 + STEADY_TOLERANCE) && compileMillis() == compileBefore;
      steadyRounds = steady ? steadyRounds + 1 : 0;
      best = Math.min(best, perRun);
      long elapsed = System.nanoTime() - start;
      if (elapsed > MAX_WARMUP_NANOS || (elapsed > MIN_WARMUP_NANOS && steadyRounds >= 2)) {
        break;
      }
    }
    double[] perRun = new double[SAMPLES];
    for (int sample = 0; sample < SAMPLES; sample++) {
      long sampleStart = System.nanoTime();
      for (int run = 0; run < runsPerRound; run++) {
        body.run();
      }
      perRun[sample] = (System.nanoTime() - sampleStart) / 1e9 / runsPerRound;
    }
    Arrays.sort(perRun);
    return perRun[SAMPLES / 2];
  }

  /** Milliseconds the JIT has spent compiling so far (any thread), or 0 where not reported. */
  private static long compileMillis() {
    CompilationMXBean jit = JIT;
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : 0;
  }
}
