package dev.adjoint.testing;

import dev.adjoint.ir.AdjointException;

/** A gradient check found an analytic gradient that disagrees with finite differences. */
public final class GradientCheckFailure extends AdjointException {
  private final GradientCheck.Result result;

  public GradientCheckFailure(GradientCheck.Result result) {
    super(result.summary());
    this.result = result;
  }

  /** The full result, including the worst entry. */
  public GradientCheck.Result result() {
    return result;
  }
}
