package dev.adjoint.runtime.ops;

/** Scalar functions generated code calls, with the reference interpreter's exact formulas. */
public final class Scalars {
  private Scalars() {}

  /** The logistic function; exp of a non-positive argument only, so neither branch overflows. */
  public static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }
}
