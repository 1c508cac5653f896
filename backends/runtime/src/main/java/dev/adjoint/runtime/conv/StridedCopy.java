package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.VectorSupport;

/**
 * Copies every step-th value of a row: the inner loop of im2col for strided convolutions. The
 * Vector API version gathers a vector at a time; the scalar one is a plain loop.
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
}
