package dev.adjoint.runtime.conv;

/** An F32 filter gradient for the shapes where it beats implicit GEMM. */
interface FloatFilterGradient {
  boolean suitsFilterGradient(ConvGeometry s);

  /** As {@link FloatConv#backwardFilter}. */
  void backwardFilter(
      ConvGeometry s, float[] x, int xOff, float[] gy, int gOff, float[] dw, int dwOff);
}
