package dev.adjoint.runtime.ops;

import dev.adjoint.runtime.parallel.Parallel;
import java.util.function.IntConsumer;

/**
 * 2-D max and average pooling and their backward kernels over NCHW arrays with offsets, in F32 and
 * F64, as the reference interpreter defines them. Windows start at {@code i·sh - padTop} (rows) and
 * {@code j·sw - padLeft} (columns); padding beyond the input is never read. Planes (one image
 * channel each) run in parallel in chunks fixed by the problem size, so results do not depend on
 * the thread count.
 */
public final class Pooling {
  /** Work per parallel chunk, in elements touched. */
  private static final int CHUNK_ELEMENTS = 1 << 15;

  private Pooling() {}

  // ---- float ----

  /** y[n, c, oh, ow] = the maximum of each window of x[n, c, h, w] (padding never chosen). */
  public static void maxPool2d(
      float[] x, int xOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      float[] y, int yOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int out = yOff + plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          y[out + i * ow + j] = x[in + argmax(x, in, h, w, kh, kw, i * sh - padTop, j * sw - padLeft)];
        }
      }
    });
  }

  /** dx[n, c, h, w] = each g[n, c, oh, ow] added at the argmax of its window of x; dx is overwritten. */
  public static void maxPool2dBackward(
      float[] x, int xOff, float[] g, int gOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop,
      int padLeft, float[] dx, int dxOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int out = dxOff + plane * h * w;
      int grad = gOff + plane * oh * ow;
      java.util.Arrays.fill(dx, out, out + h * w, 0);
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          dx[out + argmax(x, in, h, w, kh, kw, i * sh - padTop, j * sw - padLeft)] += g[grad + i * ow + j];
        }
      }
    });
  }

  /** y[n, c, oh, ow] = v at the argmax of each window of x (v shaped like x). */
  public static void maxPool2dSelect(
      float[] x, int xOff, float[] v, int vOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop,
      int padLeft, float[] y, int yOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int values = vOff + plane * h * w;
      int out = yOff + plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          y[out + i * ow + j] = v[values + argmax(x, in, h, w, kh, kw, i * sh - padTop, j * sw - padLeft)];
        }
      }
    });
  }

  /**
   * y[n, c, oh, ow] = the mean of each window of x, summed in double; divided by kh·kw with {@code
   * countIncludePad}, else by the number of the window's positions inside x.
   */
  public static void avgPool2d(
      float[] x, int xOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      boolean countIncludePad, float[] y, int yOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int out = yOff + plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        int top = i * sh - padTop;
        int rowStart = Math.max(top, 0);
        int rowEnd = Math.min(top + kh, h);
        for (int j = 0; j < ow; j++) {
          int left = j * sw - padLeft;
          int colStart = Math.max(left, 0);
          int colEnd = Math.min(left + kw, w);
          double total = 0;
          for (int row = rowStart; row < rowEnd; row++) {
            for (int col = colStart; col < colEnd; col++) {
              total += x[in + row * w + col];
            }
          }
          int divisor = countIncludePad ? kh * kw : (rowEnd - rowStart) * (colEnd - colStart);
          y[out + i * ow + j] = (float) (total / divisor);
        }
      }
    });
  }

  /** dx[n, c, h, w]: each g[n, c, oh, ow] shared out over its window as the mean weighs it; dx is overwritten. */
  public static void avgPool2dBackward(
      float[] g, int gOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      boolean countIncludePad, float[] dx, int dxOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int grad = gOff + plane * oh * ow;
      int out = dxOff + plane * h * w;
      java.util.Arrays.fill(dx, out, out + h * w, 0);
      for (int i = 0; i < oh; i++) {
        int top = i * sh - padTop;
        int rowStart = Math.max(top, 0);
        int rowEnd = Math.min(top + kh, h);
        for (int j = 0; j < ow; j++) {
          int left = j * sw - padLeft;
          int colStart = Math.max(left, 0);
          int colEnd = Math.min(left + kw, w);
          int divisor = countIncludePad ? kh * kw : (rowEnd - rowStart) * (colEnd - colStart);
          float share = (float) (g[grad + i * ow + j] / (double) divisor);
          for (int row = rowStart; row < rowEnd; row++) {
            for (int col = colStart; col < colEnd; col++) {
              dx[out + row * w + col] += share;
            }
          }
        }
      }
    });
  }

  /**
   * The position, within the plane at {@code base}, of the window's first largest element in
   * row-major window order, a NaN counting as larger than any number; padding is never chosen.
   */
  private static int argmax(float[] x, int base, int h, int w, int kh, int kw, int top, int left) {
    int best = -1;
    float bestValue = 0;
    for (int u = 0; u < kh; u++) {
      int row = top + u;
      if (row < 0 || row >= h) {
        continue;
      }
      for (int v = 0; v < kw; v++) {
        int col = left + v;
        if (col < 0 || col >= w) {
          continue;
        }
        float value = x[base + row * w + col];
        if (best < 0 || (!Float.isNaN(bestValue) && (value > bestValue || Float.isNaN(value)))) {
          best = row * w + col;
          bestValue = value;
        }
      }
    }
    return best;
  }

  // ---- double ----

  /** y[n, c, oh, ow] = the maximum of each window of x[n, c, h, w] (padding never chosen). */
  public static void maxPool2d(
      double[] x, int xOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      double[] y, int yOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int out = yOff + plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          y[out + i * ow + j] = x[in + argmax(x, in, h, w, kh, kw, i * sh - padTop, j * sw - padLeft)];
        }
      }
    });
  }

  /** dx[n, c, h, w] = each g[n, c, oh, ow] added at the argmax of its window of x; dx is overwritten. */
  public static void maxPool2dBackward(
      double[] x, int xOff, double[] g, int gOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop,
      int padLeft, double[] dx, int dxOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int out = dxOff + plane * h * w;
      int grad = gOff + plane * oh * ow;
      java.util.Arrays.fill(dx, out, out + h * w, 0);
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          dx[out + argmax(x, in, h, w, kh, kw, i * sh - padTop, j * sw - padLeft)] += g[grad + i * ow + j];
        }
      }
    });
  }

  /** y[n, c, oh, ow] = v at the argmax of each window of x (v shaped like x). */
  public static void maxPool2dSelect(
      double[] x, int xOff, double[] v, int vOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop,
      int padLeft, double[] y, int yOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int values = vOff + plane * h * w;
      int out = yOff + plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          y[out + i * ow + j] = v[values + argmax(x, in, h, w, kh, kw, i * sh - padTop, j * sw - padLeft)];
        }
      }
    });
  }

  /**
   * y[n, c, oh, ow] = the mean of each window of x, summed in double; divided by kh·kw with {@code
   * countIncludePad}, else by the number of the window's positions inside x.
   */
  public static void avgPool2d(
      double[] x, int xOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      boolean countIncludePad, double[] y, int yOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int in = xOff + plane * h * w;
      int out = yOff + plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        int top = i * sh - padTop;
        int rowStart = Math.max(top, 0);
        int rowEnd = Math.min(top + kh, h);
        for (int j = 0; j < ow; j++) {
          int left = j * sw - padLeft;
          int colStart = Math.max(left, 0);
          int colEnd = Math.min(left + kw, w);
          double total = 0;
          for (int row = rowStart; row < rowEnd; row++) {
            for (int col = colStart; col < colEnd; col++) {
              total += x[in + row * w + col];
            }
          }
          int divisor = countIncludePad ? kh * kw : (rowEnd - rowStart) * (colEnd - colStart);
          y[out + i * ow + j] = (double) (total / divisor);
        }
      }
    });
  }

  /** dx[n, c, h, w]: each g[n, c, oh, ow] shared out over its window as the mean weighs it; dx is overwritten. */
  public static void avgPool2dBackward(
      double[] g, int gOff, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      boolean countIncludePad, double[] dx, int dxOff, int oh, int ow) {
    forEachPlane(n * c, h * w + oh * ow, plane -> {
      int grad = gOff + plane * oh * ow;
      int out = dxOff + plane * h * w;
      java.util.Arrays.fill(dx, out, out + h * w, 0);
      for (int i = 0; i < oh; i++) {
        int top = i * sh - padTop;
        int rowStart = Math.max(top, 0);
        int rowEnd = Math.min(top + kh, h);
        for (int j = 0; j < ow; j++) {
          int left = j * sw - padLeft;
          int colStart = Math.max(left, 0);
          int colEnd = Math.min(left + kw, w);
          int divisor = countIncludePad ? kh * kw : (rowEnd - rowStart) * (colEnd - colStart);
          double share = (double) (g[grad + i * ow + j] / (double) divisor);
          for (int row = rowStart; row < rowEnd; row++) {
            for (int col = colStart; col < colEnd; col++) {
              dx[out + row * w + col] += share;
            }
          }
        }
      }
    });
  }

  /**
   * The position, within the plane at {@code base}, of the window's first largest element in
   * row-major window order, a NaN counting as larger than any number; padding is never chosen.
   */
  private static int argmax(double[] x, int base, int h, int w, int kh, int kw, int top, int left) {
    int best = -1;
    double bestValue = 0;
    for (int u = 0; u < kh; u++) {
      int row = top + u;
      if (row < 0 || row >= h) {
        continue;
      }
      for (int v = 0; v < kw; v++) {
        int col = left + v;
        if (col < 0 || col >= w) {
          continue;
        }
        double value = x[base + row * w + col];
        if (best < 0 || (!Double.isNaN(bestValue) && (value > bestValue || Double.isNaN(value)))) {
          best = row * w + col;
          bestValue = value;
        }
      }
    }
    return best;
  }

  /** Runs {@code body} for every plane, in chunks of whole planes. */
  private static void forEachPlane(int planes, int elementsPerPlane, IntConsumer body) {
    int perChunk = Math.max(1, CHUNK_ELEMENTS / Math.max(1, elementsPerPlane));
    int chunks = (planes + perChunk - 1) / perChunk;
    Parallel.forEach(chunks, chunk -> {
      int end = Math.min(planes, (chunk + 1) * perChunk);
      for (int plane = chunk * perChunk; plane < end; plane++) {
        body.accept(plane);
      }
    });
  }
}
