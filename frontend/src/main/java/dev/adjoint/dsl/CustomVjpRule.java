package dev.adjoint.dsl;

import java.util.List;

/**
 * A user-supplied vector-Jacobian product. Given the subgraph's inputs, its output and the
 * cotangent of the output, it builds (with ordinary tensor operations) one cotangent per input, or
 * null for an input that gets none.
 */
@FunctionalInterface
public interface CustomVjpRule {
  List<Tensor> vjp(List<Tensor> inputs, Tensor output, Tensor cotangent);
}
