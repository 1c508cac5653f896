package dev.adjoint.autodiff;

import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.Reduction;

/**
 * Loss functions, built from graph ops (PyTorch's definitions and default reductions). Elementwise
 * losses require prediction and target of the same type: silently broadcasting {@code [N]}
 * against {@code [N,1]} is a classic bug, so it is an error here.
 */
public final class Losses {
  private Losses() {}

  /** Mean squared error. */
  public static Tensor mse(Tensor prediction, Tensor target) {
    return mse(prediction, target, Reduction.MEAN);
  }

  public static Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
    return reduce(difference("mse", prediction, target).square(), reduction);
  }

  /** Mean absolute error. */
  public static Tensor l1(Tensor prediction, Tensor target) {
    return l1(prediction, target, Reduction.MEAN);
  }

  public static Tensor l1(Tensor prediction, Tensor target, Reduction reduction) {
    return reduce(difference("l1", prediction, target).abs(), reduction);
  }

  /**
   * Huber loss: {@code 0.5·d²} where {@code |d| < delta}, else {@code delta·(|d| - 0.5·delta)}.
   */
  public static Tensor huber(Tensor prediction, Tensor target, double delta, Reduction reduction) {
    positive("huber delta", delta);
    Tensor d = difference("huber", prediction, target);
    Tensor a = d.abs();
    Tensor loss = a.lt(delta).select(d.square().times(0.5), a.minus(0.5 * delta).times(delta));
    return reduce(loss, reduction);
  }

  /** Smooth L1 (PyTorch): Huber divided by {@code beta}: {@code 0.5·d²/beta} or {@code |d| - 0.5·beta}. */
  public static Tensor smoothL1(Tensor prediction, Tensor target, double beta, Reduction reduction) {
    positive("smooth L1 beta", beta);
    Tensor d = difference("smooth_l1", prediction, target);
    Tensor a = d.abs();
    Tensor loss = a.lt(beta).select(d.square().times(0.5 / beta), a.minus(0.5 * beta));
    return reduce(loss, reduction);
  }

  /**
   * Binary cross-entropy of probabilities: {@code -(t·log p + (1-t)·log(1-p))}, each log clamped at
   * -100 as PyTorch does so p = 0 or 1 gives a finite loss.
   */
  public static Tensor binaryCrossEntropy(Tensor probability, Tensor target, Reduction reduction) {
    requireSameType("binary_cross_entropy", probability, target);
    Tensor logP = probability.log().maximum(-100);
    Tensor logNotP = probability.unaryMinus().log1p().maximum(-100);
    Tensor loss = target.times(logP).plus(target.unaryMinus().plus(1).times(logNotP)).unaryMinus();
    return reduce(loss, reduction);
  }

  /**
   * Binary cross-entropy on logits in the stable form {@code max(x,0) - x·t + log(1+exp(-|x|))}:
   * no overflow for large |x|.
   */
  public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction) {
    requireSameType("binary_cross_entropy_with_logits", logits, target);
    Tensor loss = logits.relu().minus(logits.times(target)).plus(logits.abs().unaryMinus().exp().log1p());
    return reduce(loss, reduction);
  }

  /**
   * Softmax cross-entropy of logits {@code [B, C]} against integer class labels {@code [B]} or
   * probability targets {@code [B, C]}. A label outside {@code [0, C)} fails at run time, naming
   * the batch row.
   */
  public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels, Reduction reduction) {
    return logits.builder().add(new Op.SoftmaxCrossEntropy(reduction), logits, labels);
  }

  public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels) {
    return softmaxCrossEntropy(logits, labels, Reduction.MEAN);
  }

  /**
   * KL divergence {@code Σ t·(log t - input)} with {@code input} log-probabilities and {@code
   * target} probabilities (PyTorch's {@code kl_div}); terms with {@code t = 0} contribute 0. MEAN
   * divides by the batch size (dimension 0), PyTorch's mathematically correct "batchmean".
   */
  public static Tensor klDivergence(Tensor logProbabilities, Tensor target, Reduction reduction) {
    requireSameType("kl_divergence", logProbabilities, target);
    Tensor zero = target.scalarLike(0);
    Tensor positive = target.gt(zero);
    // log of a clamped target keeps log(0) out of the graph, so its gradient stays finite.
    Tensor safeTarget = positive.select(target, target.scalarLike(1));
    Tensor terms = positive.select(target.times(safeTarget.log().minus(logProbabilities)), zero);
    return switch (reduction) {
      case MEAN -> terms.sum().div(terms.rank() == 0 ? target.scalarLike(1) : terms.sizeOf(0));
      case SUM -> terms.sum();
      case NONE -> terms;
    };
  }

  /** Hinge loss {@code max(0, 1 - y·s)} for scores {@code s} and labels {@code y} in {-1, +1}. */
  public static Tensor hinge(Tensor scores, Tensor labels, Reduction reduction) {
    requireSameType("hinge", scores, labels);
    return reduce(scores.times(labels).unaryMinus().plus(1).relu(), reduction);
  }

  private static Tensor reduce(Tensor loss, Reduction reduction) {
    return switch (reduction) {
      case MEAN -> loss.mean();
      case SUM -> loss.sum();
      case NONE -> loss;
    };
  }

  /** {@code prediction - target}, after checking both have the same type. */
  private static Tensor difference(String loss, Tensor prediction, Tensor target) {
    requireSameType(loss, prediction, target);
    return prediction.minus(target);
  }

  private static void requireSameType(String loss, Tensor prediction, Tensor target) {
    if (!prediction.type().equals(target.type())) {
      throw new AdjointException(loss + ": prediction " + prediction.node().describe() + " is " + prediction.type()
          + " but target " + target.node().describe() + " is " + target.type() + "; they must match");
    }
    if (!prediction.dtype().isFloating()) {
      throw new AdjointException(loss + ": needs f32 or f64 values, got " + prediction.type());
    }
  }

  private static void positive(String what, double v) {
    if (!(v > 0)) {
      throw new AdjointException(what + " must be positive, got " + v);
    }
  }
}
