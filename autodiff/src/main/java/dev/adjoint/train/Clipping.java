package dev.adjoint.train;

import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import java.util.ArrayList;
import java.util.List;

/** Gradient clipping, applied to all gradients of a step before the optimizer sees them. */
public sealed interface Clipping {

  /** Each gradient element clamped to {@code [−limit, limit]} (PyTorch's {@code clip_grad_value_}). */
  record ByValue(double limit) implements Clipping {
    public ByValue {
      if (!(limit > 0)) {
        throw new AdjointException("clipping by value needs a positive limit, got " + limit);
      }
    }
  }

  /**
   * All gradients scaled by {@code min(1, maxNorm / (‖g‖ + 1e-6))}, where {@code ‖g‖} is the L2
   * norm of all gradients together (PyTorch's {@code clip_grad_norm_}).
   */
  record ByGlobalNorm(double maxNorm) implements Clipping {
    public ByGlobalNorm {
      if (!(maxNorm > 0)) {
        throw new AdjointException("clipping by global norm needs a positive norm, got " + maxNorm);
      }
    }
  }

  /** The clipped gradients, in order. */
  default List<Tensor> apply(List<Tensor> gradients) {
    List<Tensor> out = new ArrayList<>();
    switch (this) {
      case ByValue v -> gradients.forEach(g -> out.add(g.maximum(-v.limit()).minimum(v.limit())));
      case ByGlobalNorm n -> {
        Tensor squares = null;
        for (Tensor g : gradients) {
          Tensor s = g.square().sum();
          squares = squares == null ? s : squares.plus(s);
        }
        if (squares == null) {
          return out;
        }
        Tensor scale = squares.sqrt().plus(1e-6).reciprocal().times(n.maxNorm()).minimum(1);
        gradients.forEach(g -> out.add(g.times(scale)));
      }
    }
    return out;
  }
}
