package dev.adjoint.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.runtime.parallel.Parallel;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pooling kernels against direct definitions written here: windows at {@code i·s − pad}, the
 * first largest element (a NaN counting as largest) for max pooling, the mean over kh·kw or over
 * the positions inside the input for average pooling, and their adjoints; results do not depend
 * on the thread count.
 */
class PoolingTest {
  private static final int N = 2;
  private static final int C = 3;
  private static final int H = 7;
  private static final int W = 6;
  private static final int K = 3;
  private static final int S = 2;
  private static final int PAD = 1;
  private static final int OH = (H + 2 * PAD - K) / S + 1;
  private static final int OW = (W + 2 * PAD - K) / S + 1;
  private final int initialThreads = Parallel.threads();

  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(initialThreads);
  }

  private static double[] input(long seed) {
    Random rng = new Random(seed);
    double[] x = new double[N * C * H * W];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextInt(9) - 4; // small integers: ties inside windows
    }
    return x;
  }

  /** The input positions of window (i, j) inside the plane, in row-major window order. */
  private static int[] window(int i, int j) {
    int[] positions = new int[K * K];
    int count = 0;
    for (int u = 0; u < K; u++) {
      for (int v = 0; v < K; v++) {
        int row = i * S - PAD + u;
        int col = j * S - PAD + v;
        if (row >= 0 && row < H && col >= 0 && col < W) {
          positions[count++] = row * W + col;
        }
      }
    }
    return java.util.Arrays.copyOf(positions, count);
  }

  private static int argmax(double[] x, int plane, int i, int j) {
    int best = -1;
    for (int p : window(i, j)) {
      double value = x[plane * H * W + p];
      if (best < 0) {
        best = p;
      } else {
        double current = x[plane * H * W + best];
        if (!Double.isNaN(current) && (Double.isNaN(value) || value > current)) {
          best = p;
        }
      }
    }
    return best;
  }

  @Test
  void maxPoolingPicksTheFirstLargestAndPropagatesNaN() {
    double[] x = input(1);
    x[5] = Double.NaN;
    double[] y = new double[N * C * OH * OW + 3];
    Pooling.maxPool2d(x, 0, N, C, H, W, K, K, S, S, PAD, PAD, y, 3, OH, OW);
    double[] g = input(2);
    double[] dx = new double[x.length];
    Pooling.maxPool2dBackward(x, 0, g, 0, N, C, H, W, K, K, S, S, PAD, PAD, dx, 0, OH, OW);
    double[] selected = new double[N * C * OH * OW];
    Pooling.maxPool2dSelect(x, 0, x, 0, N, C, H, W, K, K, S, S, PAD, PAD, selected, 0, OH, OW);
    double[] expectedDx = new double[x.length];
    for (int plane = 0; plane < N * C; plane++) {
      for (int i = 0; i < OH; i++) {
        for (int j = 0; j < OW; j++) {
          int at = plane * OH * OW + i * OW + j;
          int best = argmax(x, plane, i, j);
          assertEquals(x[plane * H * W + best], y[3 + at], "max at " + at);
          assertEquals(x[plane * H * W + best], selected[at], "select at " + at);
          expectedDx[plane * H * W + best] += g[at];
        }
      }
    }
    assertArrayEquals(expectedDx, dx);
    assertEquals(Double.NaN, y[3 + 2], "the window holding the NaN (row 0, columns 3 to 5)");
  }

  @Test
  void averagePoolingCountsPaddingOnlyWhenAsked() {
    double[] x = input(3);
    for (boolean countPad : new boolean[] {false, true}) {
      double[] y = new double[N * C * OH * OW];
      Pooling.avgPool2d(x, 0, N, C, H, W, K, K, S, S, PAD, PAD, countPad, y, 0, OH, OW);
      double[] g = input(4);
      double[] dx = new double[x.length];
      Pooling.avgPool2dBackward(g, 0, N, C, H, W, K, K, S, S, PAD, PAD, countPad, dx, 0, OH, OW);
      double[] expectedDx = new double[x.length];
      for (int plane = 0; plane < N * C; plane++) {
        for (int i = 0; i < OH; i++) {
          for (int j = 0; j < OW; j++) {
            int[] positions = window(i, j);
            int divisor = countPad ? K * K : positions.length;
            double total = 0;
            for (int p : positions) {
              total += x[plane * H * W + p];
              expectedDx[plane * H * W + p] += g[plane * OH * OW + i * OW + j] / divisor;
            }
            assertEquals(total / divisor, y[plane * OH * OW + i * OW + j], 1e-15);
          }
        }
      }
      assertArrayEquals(expectedDx, dx, 1e-15);
    }
  }

  @Test
  void floatKernelsMatchTheDoubleOnes() {
    double[] x = input(5);
    float[] xf = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      xf[i] = (float) x[i];
    }
    double[] y = new double[N * C * OH * OW];
    float[] yf = new float[y.length];
    Pooling.avgPool2d(x, 0, N, C, H, W, K, K, S, S, PAD, PAD, false, y, 0, OH, OW);
    Pooling.avgPool2d(xf, 0, N, C, H, W, K, K, S, S, PAD, PAD, false, yf, 0, OH, OW);
    for (int i = 0; i < y.length; i++) {
      assertEquals((float) y[i], yf[i]);
    }
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    int planes = 64;
    double[] g = new double[planes * 32 * 32];
    Random rng = new Random(6);
    for (int i = 0; i < g.length; i++) {
      g[i] = rng.nextGaussian();
    }
    double[][] results = new double[3][];
    int[] threads = {1, 2, 3};
    for (int t = 0; t < threads.length; t++) {
      Parallel.setThreads(threads[t]);
      double[] dx = new double[planes * 64 * 64];
      Pooling.avgPool2dBackward(g, 0, planes, 1, 64, 64, 3, 3, 2, 2, 1, 1, false, dx, 0, 32, 32);
      results[t] = dx;
    }
    assertArrayEquals(results[0], results[1]);
    assertArrayEquals(results[0], results[2]);
  }
}
