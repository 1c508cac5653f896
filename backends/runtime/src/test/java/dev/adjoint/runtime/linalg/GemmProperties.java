package dev.adjoint.runtime.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.runtime.parallel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * GEMM on random shapes: sizes at and around the micro-tile (12 or 6 rows, 2 vectors of columns,
 * 4×4 in the scalar kernel) and the 256-deep blocks, primes, offsets, leading dimensions wider
 * than the matrix, every transpose combination, accumulate on and off. Each result must equal,
 * bit for bit, the documented arithmetic computed element by element, and be within rounding of
 * the double-precision product; elements of C outside the m×n window must stay untouched.
 * With an epilogue, on 1 and 2 threads: every element of the window is passed exactly once, with
 * its final value, and an affine-then-relu epilogue gives the bits of the plain call followed by a
 * separate pass.
 */
class GemmProperties {

  record Case(
      boolean transA, boolean transB, int m, int n, int k,
      int aOffset, int bOffset, int cOffset, int aPad, int bPad, int cPad,
      boolean accumulate, long seed) {

    int lda() {
      return (transA ? m : k) + aPad;
    }

    int ldb() {
      return (transB ? k : n) + bPad;
    }

    int ldc() {
      return n + cPad;
    }

    int aLength() {
      return aOffset + (transA ? k : m) * lda() + 3;
    }

    int bLength() {
      return bOffset + (transB ? n : k) * ldb() + 3;
    }

    int cLength() {
      return cOffset + m * ldc() + 3;
    }
  }

  @Provide
  Arbitrary<Case> cases() {
    Arbitrary<Integer> edge =
        Arbitraries.of(
            1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 16, 17, 23, 24, 25, 31, 32, 33, 37, 48, 64, 97);
    Arbitrary<Integer> depth =
        Arbitraries.oneOf(edge, Arbitraries.of(255, 256, 257, 300, 513));
    Arbitrary<Integer> small = Arbitraries.integers().between(0, 5);
    Arbitrary<Boolean> flag = Arbitraries.of(false, true);
    return Combinators.combine(
            flag, flag, edge, edge, depth,
            Combinators.combine(small, small, small).as((x, y, z) -> new int[] {x, y, z}),
            Combinators.combine(small, small, small).as((x, y, z) -> new int[] {x, y, z}),
            Combinators.combine(flag, Arbitraries.longs())
                .as((acc, seed) -> new Object[] {acc, seed}))
        .as(
            (ta, tb, m, n, k, offsets, pads, rest) ->
                new Case(ta, tb, m, n, k, offsets[0], offsets[1], offsets[2], pads[0], pads[1],
                    pads[2], (Boolean) rest[0], (Long) rest[1]));
  }

  @Property(tries = 150, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void sgemmIsTheDocumentedSumAndCloseToTheExactProduct(@ForAll("cases") Case t) {
    SplittableRandom random = new SplittableRandom(t.seed());
    float[] a = randomFloats(t.aLength(), random);
    float[] b = randomFloats(t.bLength(), random);
    float[] c = randomFloats(t.cLength(), random);
    float[] expected =
        GemmReference.sgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
            b, t.bOffset(), t.ldb(), c, t.cOffset(), t.ldc(), t.accumulate());
    double[][] exact =
        GemmReference.naive(t.transA(), t.transB(), t.m(), t.n(), t.k(),
            GemmReference.toDouble(a), t.aOffset(), t.lda(), GemmReference.toDouble(b),
            t.bOffset(), t.ldb(), GemmReference.toDouble(c), t.cOffset(), t.ldc(),
            t.accumulate());

    Gemm.sgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
        b, t.bOffset(), t.ldb(), c, t.cOffset(), t.ldc(), t.accumulate());

    assertArrayEquals(expected, c, t.toString());
    double unit = 0x1.0p-24 * (t.k() + 2);
    for (int i = 0; i < c.length; i++) {
      double error = Math.abs(c[i] - exact[0][i]);
      assertTrue(error <= unit * exact[1][i] + 1e-30,
          "element " + i + ": " + c[i] + " vs " + exact[0][i] + " in " + t);
    }
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void dgemmIsTheDocumentedSumAndCloseToTheExactProduct(@ForAll("cases") Case t) {
    SplittableRandom random = new SplittableRandom(t.seed());
    double[] a = randomDoubles(t.aLength(), random);
    double[] b = randomDoubles(t.bLength(), random);
    double[] c = randomDoubles(t.cLength(), random);
    double[] expected =
        GemmReference.dgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
            b, t.bOffset(), t.ldb(), c, t.cOffset(), t.ldc(), t.accumulate());
    double[][] naive =
        GemmReference.naive(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
            b, t.bOffset(), t.ldb(), c, t.cOffset(), t.ldc(), t.accumulate());

    Gemm.dgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
        b, t.bOffset(), t.ldb(), c, t.cOffset(), t.ldc(), t.accumulate());

    assertArrayEquals(expected, c, t.toString());
    // Both sides round: the naive loop as much as the blocked sums.
    double unit = 0x1.0p-53 * 2 * (t.k() + 2);
    for (int i = 0; i < c.length; i++) {
      double error = Math.abs(c[i] - naive[0][i]);
      assertTrue(error <= unit * naive[1][i] + 1e-300,
          "element " + i + ": " + c[i] + " vs " + naive[0][i] + " in " + t);
    }
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void sgemmEpilogueSeesEveryFinishedElementOnce(
      @ForAll("cases") Case t, @ForAll boolean twoThreads) {
    SplittableRandom random = new SplittableRandom(t.seed());
    float[] a = randomFloats(t.aLength(), random);
    float[] b = randomFloats(t.bLength(), random);
    float[] initial = randomFloats(t.cLength(), random);
    float[] rowScale = randomFloats(t.m(), random);
    float[] colShift = randomFloats(t.n(), random);
    float[] plain = initial.clone();
    Gemm.sgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
        b, t.bOffset(), t.ldb(), plain, t.cOffset(), t.ldc(), t.accumulate());
    float[] separatePass = plain.clone();
    forEachElement(t, (i, j, at) ->
        separatePass[at] = Math.max(0f, separatePass[at] * rowScale[i] + colShift[j]));

    int threads = Parallel.threads();
    Parallel.setThreads(twoThreads ? 2 : 1);
    try {
      float[] recorded = initial.clone();
      float[] seen = new float[t.m() * t.n()];
      AtomicIntegerArray visits = new AtomicIntegerArray(t.m() * t.n());
      Gemm.sgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
          b, t.bOffset(), t.ldb(), recorded, t.cOffset(), t.ldc(), t.accumulate(),
          (outer, row, rows, col, cols) -> {
            checkTile(t, outer, row, rows, col, cols);
            for (int i = row; i < row + rows; i++) {
              for (int j = col; j < col + cols; j++) {
                visits.incrementAndGet(i * t.n() + j);
                seen[i * t.n() + j] = recorded[t.cOffset() + i * t.ldc() + j];
              }
            }
          });
      assertArrayEquals(plain, recorded, t.toString());
      forEachElement(t, (i, j, at) -> {
        assertEquals(1, visits.get(i * t.n() + j), "visits of (" + i + ", " + j + ") in " + t);
        assertEquals(plain[at], seen[i * t.n() + j], "value of (" + i + ", " + j + ") in " + t);
      });

      float[] fused = initial.clone();
      Gemm.sgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
          b, t.bOffset(), t.ldb(), fused, t.cOffset(), t.ldc(), t.accumulate(),
          (outer, row, rows, col, cols) -> {
            for (int i = row; i < row + rows; i++) {
              for (int j = col; j < col + cols; j++) {
                int at = t.cOffset() + i * t.ldc() + j;
                fused[at] = Math.max(0f, fused[at] * rowScale[i] + colShift[j]);
              }
            }
          });
      assertArrayEquals(separatePass, fused, t.toString());
    } finally {
      Parallel.setThreads(threads);
    }
  }

  @Property(tries = 60, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void dgemmEpilogueSeesEveryFinishedElementOnce(
      @ForAll("cases") Case t, @ForAll boolean twoThreads) {
    SplittableRandom random = new SplittableRandom(t.seed());
    double[] a = randomDoubles(t.aLength(), random);
    double[] b = randomDoubles(t.bLength(), random);
    double[] initial = randomDoubles(t.cLength(), random);
    double[] rowScale = randomDoubles(t.m(), random);
    double[] plain = initial.clone();
    Gemm.dgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
        b, t.bOffset(), t.ldb(), plain, t.cOffset(), t.ldc(), t.accumulate());
    double[] separatePass = plain.clone();
    forEachElement(t, (i, j, at) -> separatePass[at] = Math.tanh(separatePass[at] * rowScale[i]));

    int threads = Parallel.threads();
    Parallel.setThreads(twoThreads ? 2 : 1);
    try {
      double[] fused = initial.clone();
      AtomicIntegerArray visits = new AtomicIntegerArray(t.m() * t.n());
      Gemm.dgemm(t.transA(), t.transB(), t.m(), t.n(), t.k(), a, t.aOffset(), t.lda(),
          b, t.bOffset(), t.ldb(), fused, t.cOffset(), t.ldc(), t.accumulate(),
          (outer, row, rows, col, cols) -> {
            checkTile(t, outer, row, rows, col, cols);
            for (int i = row; i < row + rows; i++) {
              for (int j = col; j < col + cols; j++) {
                visits.incrementAndGet(i * t.n() + j);
                int at = t.cOffset() + i * t.ldc() + j;
                fused[at] = Math.tanh(fused[at] * rowScale[i]);
              }
            }
          });
      assertArrayEquals(separatePass, fused, t.toString());
      forEachElement(t, (i, j, at) ->
          assertEquals(1, visits.get(i * t.n() + j), "visits of (" + i + ", " + j + ") in " + t));
    } finally {
      Parallel.setThreads(threads);
    }
  }

  private interface ElementAction {
    void accept(int row, int col, int at);
  }

  /** Calls action(i, j, index in c) for every element of the case's m×n window. */
  private static void forEachElement(Case t, ElementAction action) {
    for (int i = 0; i < t.m(); i++) {
      for (int j = 0; j < t.n(); j++) {
        action.accept(i, j, t.cOffset() + i * t.ldc() + j);
      }
    }
  }

  private static void checkTile(Case t, int outer, int row, int rows, int col, int cols) {
    String tile = "tile " + outer + ", rows " + row + "+" + rows + ", cols " + col + "+" + cols;
    assertEquals(0, outer, tile);
    assertTrue(row >= 0 && rows >= 1 && row + rows <= t.m(), tile + " in " + t);
    assertTrue(col >= 0 && cols >= 1 && col + cols <= t.n(), tile + " in " + t);
  }

  static float[] randomFloats(int length, SplittableRandom random) {
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }

  static double[] randomDoubles(int length, SplittableRandom random) {
    double[] values = new double[length];
    for (int i = 0; i < length; i++) {
      values[i] = random.nextDouble(-1, 1);
    }
    return values;
  }
}
