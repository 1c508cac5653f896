package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.VectorSupport;
import java.util.Arrays;

/**
 * The row moves of im2col and col2im: copying a window of a row with the padding it overlaps
 * (im2col at unit step), copying every step-th value of a row (im2col for strided convolutions),
 * adding a row into another (col2im at stride 1) and transposing a block (the filter gradient's
 * im2col panels). The Vector API version works a vector at a time; the scalar one is a plain
 * loop. Both add each element once, so they agree bit for bit.
 */
interface StridedCopy {
  StridedCopy INSTANCE = VectorSupport.enabled() ? new VectorStridedCopy() : new StridedCopy() {};

  /** dst[at + t] = src[from + t·step] for t in [0, count); step ≥ 2. */
  default void copy(float[] src, int from, int step, int count, float[] dst, int at) {
    for (int t = 0; t < count; t++) {
      dst[at + t] = src[from + t * step];
    }
  }

  /** The F64 version of {@link #copy(float[], int, int, int, float[], int)}. */
  default void copy(double[] src, int from, int step, int count, double[] dst, int at) {
    for (int t = 0; t < count; t++) {
      dst[at + t] = src[from + t * step];
    }
  }

  /**
   * dst[at + j·dstStride + i] = src[from + i·srcStride + j] for i in [0, rows), j in [0, cols);
   * dstStride ≥ rows.
   */
  default void transpose(
      float[] src, int from, int srcStride, int rows, int cols, float[] dst, int at, int dstStride) {
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        dst[at + j * dstStride + i] = src[from + i * srcStride + j];
      }
    }
  }

  /** The F64 version of {@link #transpose(float[], int, int, int, int, float[], int, int)}. */
  default void transpose(
      double[] src, int from, int srcStride, int rows, int cols, double[] dst, int at,
      int dstStride) {
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        dst[at + j * dstStride + i] = src[from + i * srcStride + j];
      }
    }
  }

  /**
   * dst[at + t] = x[rowBase + start + t] for t in [0, count) where start + t lies in [0, width),
   * zero elsewhere: a row of an im2col window at unit step, with the padding it overlaps.
   */
  default void window(
      float[] x, int rowBase, int start, int count, int width, float[] dst, int at) {
    int first = Math.min(count, Math.max(0, -start));
    int end = Math.max(first, Math.min(count, width - start));
    Arrays.fill(dst, at, at + first, 0f);
    if (end > first) {
      System.arraycopy(x, rowBase + start + first, dst, at + first, end - first);
    }
    Arrays.fill(dst, at + end, at + count, 0f);
  }

  /** The F64 version of {@link #window(float[], int, int, int, int, float[], int)}. */
  default void window(
      double[] x, int rowBase, int start, int count, int width, double[] dst, int at) {
    int first = Math.min(count, Math.max(0, -start));
    int end = Math.max(first, Math.min(count, width - start));
    Arrays.fill(dst, at, at + first, 0.0);
    if (end > first) {
      System.arraycopy(x, rowBase + start + first, dst, at + first, end - first);
    }
    Arrays.fill(dst, at + end, at + count, 0.0);
  }

  /** dst[at + t] += src[from + t] for t in [0, count). */
  default void add(float[] src, int from, int count, float[] dst, int at) {
    for (int t = 0; t < count; t++) {
      dst[at + t] += src[from + t];
    }
  }

  /** The F64 version of {@link #add(float[], int, int, float[], int)}. */
  default void add(double[] src, int from, int count, double[] dst, int at) {
    for (int t = 0; t < count; t++) {
      dst[at + t] += src[from + t];
    }
  }
}
