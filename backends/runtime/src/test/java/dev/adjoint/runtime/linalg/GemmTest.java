package dev.adjoint.runtime.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.runtime.parallel.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GemmTest {
  private final int initialThreads = Parallel.threads();

  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(initialThreads);
  }

  /**
   * Shapes that cross every block boundary: more rows than one packed row block (2048), more
   * columns than one packed column block (4096), several depth blocks, and edge tiles.
   */
  private static final int[][] LARGE_SHAPES = {
    {150, 333, 600}, {2100, 40, 30}, {20, 4100, 30}, {67, 129, 1031}
  };

  @Test
  void resultsAreBitwiseIdenticalForAnyThreadCountAndRun() {
    for (int[] shape : LARGE_SHAPES) {
      int m = shape[0];
      int n = shape[1];
      int k = shape[2];
      for (boolean transA : new boolean[] {false, true}) {
        for (boolean transB : new boolean[] {false, true}) {
          SplittableRandom random = new SplittableRandom(m * 31L + n * 7L + k);
          float[] a = GemmProperties.randomFloats(m * k, random);
          float[] b = GemmProperties.randomFloats(k * n, random);
          double[] ad = GemmProperties.randomDoubles(m * k, random);
          double[] bd = GemmProperties.randomDoubles(k * n, random);
          int lda = transA ? m : k;
          int ldb = transB ? k : n;
          float[] expected =
              GemmReference.sgemm(transA, transB, m, n, k, a, 0, lda, b, 0, ldb,
                  new float[m * n], 0, n, false);
          double[] expectedD =
              GemmReference.dgemm(transA, transB, m, n, k, ad, 0, lda, bd, 0, ldb,
                  new double[m * n], 0, n, false);
          for (int threads : new int[] {1, 2, 3, 8}) {
            Parallel.setThreads(threads);
            for (int run = 0; run < 2; run++) {
              float[] c = new float[m * n];
              Gemm.sgemm(transA, transB, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
              assertArrayEquals(expected, c, Arrays.toString(shape) + " on " + threads);
              double[] cd = new double[m * n];
              Gemm.dgemm(transA, transB, m, n, k, ad, 0, lda, bd, 0, ldb, cd, 0, n, false);
              assertArrayEquals(expectedD, cd, Arrays.toString(shape) + " on " + threads);
            }
          }
        }
      }
    }
  }

  /**
   * On the large shapes (several row, column and depth blocks), an epilogue that adds a residual
   * and clamps gives the bits of the plain product followed by that pass, on any thread count,
   * and each element is passed once.
   */
  @Test
  void epilogueOnLargeShapesEqualsASeparatePassForAnyThreadCount() {
    for (int[] shape : LARGE_SHAPES) {
      int m = shape[0];
      int n = shape[1];
      int k = shape[2];
      SplittableRandom random = new SplittableRandom(m + 17L * n + 5L * k);
      float[] a = GemmProperties.randomFloats(m * k, random);
      float[] b = GemmProperties.randomFloats(k * n, random);
      float[] residual = GemmProperties.randomFloats(m * n, random);
      float[] start = GemmProperties.randomFloats(m * n, random);
      for (boolean accumulate : new boolean[] {false, true}) {
        float[] expected = start.clone();
        Gemm.sgemm(true, false, m, n, k, a, 0, m, b, 0, n, expected, 0, n, accumulate);
        for (int i = 0; i < expected.length; i++) {
          expected[i] = Math.min(1f, expected[i] + residual[i]);
        }
        for (int threads : new int[] {1, 2, 3}) {
          Parallel.setThreads(threads);
          float[] c = start.clone();
          AtomicIntegerArray visits = new AtomicIntegerArray(m * n);
          Gemm.sgemm(true, false, m, n, k, a, 0, m, b, 0, n, c, 0, n, accumulate,
              (outer, row, rows, col, cols) -> {
                for (int i = row; i < row + rows; i++) {
                  for (int j = col; j < col + cols; j++) {
                    visits.incrementAndGet(i * n + j);
                    c[i * n + j] = Math.min(1f, c[i * n + j] + residual[i * n + j]);
                  }
                }
              });
          String what = Arrays.toString(shape) + " accumulate " + accumulate + " on " + threads;
          assertArrayEquals(expected, c, what);
          for (int i = 0; i < m * n; i++) {
            assertEquals(1, visits.get(i), what + ": visits of element " + i);
          }
        }
      }
    }
  }

  @Test
  void concurrentCallersDoNotShareBuffers() throws InterruptedException {
    int m = 90;
    int n = 70;
    int k = 300;
    SplittableRandom random = new SplittableRandom(5);
    float[] a = GemmProperties.randomFloats(m * k, random);
    float[] b = GemmProperties.randomFloats(k * n, random);
    float[] expected =
        GemmReference.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, new float[m * n], 0, n, false);
    Parallel.setThreads(2);
    Thread[] callers = new Thread[4];
    boolean[] matched = new boolean[callers.length];
    for (int t = 0; t < callers.length; t++) {
      int index = t;
      callers[t] =
          new Thread(
              () -> {
                boolean all = true;
                for (int run = 0; run < 20; run++) {
                  float[] c = new float[m * n];
                  Gemm.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
                  all &= Arrays.equals(expected, c);
                }
                matched[index] = all;
              });
      callers[t].start();
    }
    for (Thread caller : callers) {
      caller.join();
    }
    for (boolean ok : matched) {
      assertTrue(ok);
    }
  }

  @Test
  void zeroDepthClearsOrKeepsTheWindowOnly() {
    float[] c = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 1, new float[0], 0, 2, c, 1, 3, false);
    assertArrayEquals(new float[] {1, 0, 0, 4, 0, 0, 7, 8, 9}, c);
    double[] d = {1, 2, 3, 4};
    Gemm.dgemm(false, false, 2, 2, 0, new double[0], 0, 1, new double[0], 0, 2, d, 0, 2, true);
    assertArrayEquals(new double[] {1, 2, 3, 4}, d);
    // An epilogue still sees the whole (zero-depth) result once.
    Gemm.dgemm(false, false, 2, 2, 0, new double[0], 0, 1, new double[0], 0, 2, d, 0, 2, true,
        (outer, row, rows, col, cols) -> {
          for (int i = row; i < row + rows; i++) {
            for (int j = col; j < col + cols; j++) {
              d[i * 2 + j] *= 10;
            }
          }
        });
    assertArrayEquals(new double[] {10, 20, 30, 40}, d);
  }

  @Test
  void emptyOutputsTouchNothing() {
    float[] c = {7};
    Gemm.sgemm(false, false, 0, 5, 3, new float[0], 0, 3, new float[15], 0, 5, c, 0, 5, false);
    Gemm.sgemm(false, false, 5, 0, 3, new float[15], 0, 3, new float[0], 0, 1, c, 0, 1, false);
    assertArrayEquals(new float[] {7}, c);
  }

  @Test
  void smallProductMatchesHandComputation() {
    // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
    float[] a = {1, 2, 3, 4, 5, 6};
    float[] b = {7, 8, 9, 10, 11, 12};
    float[] c = new float[4];
    Gemm.sgemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false);
    assertArrayEquals(new float[] {58, 64, 139, 154}, c);
    // Aᵀ stored as 3×2, Bᵀ stored as 2×3, accumulating onto the previous result.
    float[] at = {1, 4, 2, 5, 3, 6};
    float[] bt = {7, 9, 11, 8, 10, 12};
    Gemm.sgemm(true, true, 2, 2, 3, at, 0, 2, bt, 0, 3, c, 0, 2, true);
    assertArrayEquals(new float[] {116, 128, 278, 308}, c);
  }

  /**
   * A row-major B with short rows is read in place, not packed: the same bits as the packed path
   * (the same array behind a source GEMM cannot see into), with B inside a larger array, its last
   * columns short of a micro-panel, several depth blocks, both split modes and accumulation.
   */
  @Test
  void bReadInPlaceGivesTheBitsOfBPacked() {
    int[][] shapes = {{300, 45, 600}, {13, 100, 257}, {70, 33, 40}};
    for (int[] shape : shapes) {
      int m = shape[0];
      int n = shape[1];
      int k = shape[2];
      int ldb = n + 3;
      int bOffset = 5;
      SplittableRandom random = new SplittableRandom(m * 13L + n);
      float[] a = GemmProperties.randomFloats(m * k, random);
      float[] b = GemmProperties.randomFloats(bOffset + k * ldb, random);
      float[] start = GemmProperties.randomFloats(m * n, random);
      FloatPanelSource left = FloatPanelSource.strided(a, 0, k, 1);
      FloatPanelSource inPlace = FloatPanelSource.strided(b, bOffset, 1, ldb);
      FloatPanelSource packed = inPlace::pack;
      for (boolean accumulate : new boolean[] {false, true}) {
        for (int threads : new int[] {1, 2}) {
          Parallel.setThreads(threads);
          float[] viaPacked = start.clone();
          Gemm.sgemm(m, n, k, left, packed, viaPacked, 0, n, accumulate);
          float[] viaInPlace = start.clone();
          Gemm.sgemm(m, n, k, left, inPlace, viaInPlace, 0, n, accumulate);
          assertArrayEquals(viaPacked, viaInPlace,
              Arrays.toString(shape) + " accumulate " + accumulate + " on " + threads);
        }
      }
    }
  }

  @Test
  void panelSourcesGiveTheSameBitsAsArrays() {
    int m = 37;
    int n = 45;
    int k = 300;
    SplittableRandom random = new SplittableRandom(11);
    double[] a = GemmProperties.randomDoubles(m * k, random);
    double[] b = GemmProperties.randomDoubles(k * n, random);
    double[] viaArrays = new double[m * n];
    Gemm.dgemm(false, false, m, n, k, a, 0, k, b, 0, n, viaArrays, 0, n, false);
    // Sources that compute each value from its coordinates, as an implicit im2col does.
    DoublePanelSource left =
        (line0, lines, depth0, depth, width, dst, at) -> {
          for (int panel = 0; panel < lines; panel += width) {
            for (int d = 0; d < depth; d++) {
              for (int r = 0; r < width; r++) {
                int row = line0 + panel + r;
                dst[at++] = panel + r < lines ? a[row * k + depth0 + d] : 0.0;
              }
            }
          }
        };
    DoublePanelSource right =
        (line0, lines, depth0, depth, width, dst, at) -> {
          for (int panel = 0; panel < lines; panel += width) {
            for (int d = 0; d < depth; d++) {
              for (int r = 0; r < width; r++) {
                int col = line0 + panel + r;
                dst[at++] = panel + r < lines ? b[(depth0 + d) * n + col] : 0.0;
              }
            }
          }
        };
    double[] viaSources = new double[m * n];
    Gemm.dgemm(m, n, k, left, right, viaSources, 0, n, false);
    assertArrayEquals(viaArrays, viaSources);
  }

  @Test
  void badArgumentsAreReportedWithTheMatrixAndSizes() {
    float[] six = new float[6];
    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class,
            () -> Gemm.sgemm(false, false, -1, 2, 3, six, 0, 3, six, 0, 2, six, 0, 2, false));
    assertTrue(negative.getMessage().contains("m=-1"), negative.getMessage());
    IllegalArgumentException narrow =
        assertThrows(IllegalArgumentException.class,
            () -> Gemm.sgemm(false, false, 2, 2, 3, six, 0, 2, six, 0, 2, six, 0, 2, false));
    assertEquals("sgemm: leading dimension 2 of a is less than its 3 columns",
        narrow.getMessage());
    IllegalArgumentException tooShort =
        assertThrows(IllegalArgumentException.class,
            () -> Gemm.dgemm(false, true, 2, 2, 3, new double[6], 0, 3, new double[6], 1, 3,
                new double[4], 0, 2, false));
    assertEquals("dgemm: b (transposed) (2×3, leading dimension 3, offset 1) does not fit in an"
        + " array of length 6", tooShort.getMessage());
  }
}
