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
 * rounds are timed and the median time per run is the result: on this shared machine whole rounds
 * now and then run at half speed (another tenant took a core), and the median leaves them out.
 *
 * <p>A kernel's share of the machine's peak is measured against the peak at the same time ({@link
 * #againstReference}): on a shared machine the speed of a core drifts by ±6% within a second, so a
 * peak measured once at the start gave shares off by as much (a one-thread SGEMM at 98% of a peak
 * that had been measured in a slow moment).
 */
final class Measurement {
  static final long ROUND_NANOS = 50_000_000L;
  static final long MIN_WARMUP_NANOS = 500_000_000L;
  static final long MAX_WARMUP_NANOS = 20_000_000_000L;
  static final double STEADY_TOLERANCE = 0.03;
  static final int SAMPLES = 11;

  /** Null on a JVM without a JIT. */
  private static final @Nullable CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  private Measurement() {}

  /** The median seconds per run of {@code body}. */
  static double medianSeconds(Runnable body) {
    int runsPerRound = warmUp(body);
    double[] perRun = new double[SAMPLES];
    for (int sample = 0; sample < SAMPLES; sample++) {
      perRun[sample] = secondsPerRun(body, runsPerRound);
    }
    return median(perRun);
  }

  /**
   * What {@link #againstReference} measured.
   *
   * @param seconds the body's median seconds per run
   * @param referenceRatio the median, over pairs of adjacent rounds, of the reference's seconds
   *     per run divided by the body's
   */
  record Paired(double seconds, double referenceRatio) {}

  /**
   * Times a body in rounds that alternate with rounds of a reference (the FMA peak loop, the
   * triad), so that the ratio of their speeds compares the two at the same moment.
   */
  static Paired againstReference(Runnable body, Runnable reference) {
    int bodyRuns = warmUp(body);
    int referenceRuns = warmUp(reference);
    double[] seconds = new double[SAMPLES];
    double[] ratios = new double[SAMPLES];
    for (int sample = 0; sample < SAMPLES; sample++) {
      double referenceSeconds = secondsPerRun(reference, referenceRuns);
      seconds[sample] = secondsPerRun(body, bodyRuns);
      ratios[sample] = referenceSeconds / seconds[sample];
    }
    return new Paired(median(seconds), median(ratios));
  }

  /** Runs {@code body} until its speed is steady; returns the runs that fill one round. */
  private static int warmUp(Runnable body) {
    long start = System.nanoTime();
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
      boolean steady = perRun <= best * (1 + STEADY_TOLERANCE) && compileMillis() == compileBefore;
      steadyRounds = steady ? steadyRounds + 1 : 0;
      best = Math.min(best, perRun);
      long elapsed = System.nanoTime() - start;
      if (elapsed > MAX_WARMUP_NANOS || (elapsed > MIN_WARMUP_NANOS && steadyRounds >= 2)) {
        return runs;
      }
    }
  }

  private static double secondsPerRun(Runnable body, int runs) {
    long start = System.nanoTime();
    for (int run = 0; run < runs; run++) {
      body.run();
    }
    return (System.nanoTime() - start) / 1e9 / runs;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** Milliseconds the JIT has spent compiling so far (any thread), or 0 where not reported. */
  private static long compileMillis() {
    CompilationMXBean jit = JIT;
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : 0;
  }
}
