package dev.adjoint.train;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Initializer;

/**
 * An optimizer as graph updates, with PyTorch's update rules and defaults. {@link #update} builds,
 * for one parameter, the ops that compute its new value from its gradient, the learning rate (a
 * graph input, so a schedule never recompiles) and the step number {@code t} (1 on the first
 * step); the optimizer's own state lives in state nodes it creates and assigns.
 *
 * <p>Weight decay is coupled (L2: {@code g += λ·p}) for every optimizer except {@link AdamW},
 * whose decay is decoupled ({@code p -= lr·λ·p} before the Adam step, Loshchilov and Hutter).
 */
public sealed interface Optimizer {

  /**
   * SGD, with momentum {@code buf = μ·buf + g} and Nesterov's {@code g + μ·buf} when asked
   * (PyTorch's form, no dampening).
   */
  record Sgd(double momentum, boolean nesterov, double weightDecay) implements Optimizer {
    public Sgd {
      check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got " + momentum);
      check(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0");
      check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
    }
  }

  /** Adagrad: {@code sum += g²; p -= lr·g/(sqrt(sum) + eps)}. */
  record Adagrad(double eps, double initialAccumulator, double weightDecay) implements Optimizer {
    public Adagrad {
      check(eps > 0, "eps must be > 0, got " + eps);
      check(initialAccumulator >= 0, "the initial accumulator must be >= 0, got " + initialAccumulator);
      check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
    }
  }

  /**
   * RMSProp: {@code sq = α·sq + (1−α)·g²}, step {@code g/(sqrt(sq) + eps)}, through a momentum
   * buffer when momentum > 0.
   */
  record RmsProp(double alpha, double eps, double momentum, double weightDecay) implements Optimizer {
    public RmsProp {
      check(alpha >= 0 && alpha < 1, "alpha must be in [0, 1), got " + alpha);
      check(eps > 0, "eps must be > 0, got " + eps);
      check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got " + momentum);
      check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
    }
  }

  /** Adam with bias correction: {@code p -= lr·m̂/(sqrt(v̂) + eps)}; coupled L2 weight decay. */
  record Adam(double beta1, double beta2, double eps, double weightDecay) implements Optimizer {
    public Adam {
      checkAdam(beta1, beta2, eps, weightDecay);
    }
  }

  /** AdamW: Adam with decoupled weight decay {@code p -= lr·λ·p}. */
  record AdamW(double beta1, double beta2, double eps, double weightDecay) implements Optimizer {
    public AdamW {
      checkAdam(beta1, beta2, eps, weightDecay);
    }
  }

  static Sgd sgd() {
    return new Sgd(0, false, 0);
  }

  static Sgd momentum(double momentum) {
    return new Sgd(momentum, false, 0);
  }

  static Sgd nesterov(double momentum) {
    return new Sgd(momentum, true, 0);
  }

  static Adagrad adagrad() {
    return new Adagrad(1e-10, 0, 0);
  }

  static RmsProp rmsProp() {
    return new RmsProp(0.99, 1e-8, 0, 0);
  }

  static Adam adam() {
    return new Adam(0.9, 0.999, 1e-8, 0);
  }

  static AdamW adamW(double weightDecay) {
    return new AdamW(0.9, 0.999, 1e-8, weightDecay);
  }

  /**
   * The new value of {@code param} after one step; assigns the optimizer's state for it. State
   * nodes are named {@code <param>/<optimizer>/<slot>}.
   *
   * @param t the step number as a scalar of the parameter's dtype, 1 on the first step
   */
  default Tensor update(Tensor param, Tensor gradient, Tensor learningRate, Tensor t) {
    GraphBuilder b = param.builder();
    return switch (this) {
      case Sgd s -> {
        Tensor g = coupledDecay(gradient, param, s.weightDecay());
        if (s.momentum() > 0) {
          Tensor buf = slot(param, "sgd/momentum", 0);
          Tensor next = buf.times(s.momentum()).plus(g);
          b.assign(buf, next);
          g = s.nesterov() ? g.plus(next.times(s.momentum())) : next;
        }
        yield param.minus(learningRate.times(g));
      }
      case Adagrad a -> {
        Tensor g = coupledDecay(gradient, param, a.weightDecay());
        Tensor sum = slot(param, "adagrad/sum", a.initialAccumulator());
        Tensor next = sum.plus(g.square());
        b.assign(sum, next);
        yield param.minus(learningRate.times(g).div(next.sqrt().plus(a.eps())));
      }
      case RmsProp r -> {
        Tensor g = coupledDecay(gradient, param, r.weightDecay());
        Tensor square = slot(param, "rmsprop/square_avg", 0);
        Tensor nextSquare = square.times(r.alpha()).plus(g.square().times(1 - r.alpha()));
        b.assign(square, nextSquare);
        Tensor step = g.div(nextSquare.sqrt().plus(r.eps()));
        if (r.momentum() > 0) {
          Tensor buf = slot(param, "rmsprop/momentum", 0);
          step = buf.times(r.momentum()).plus(step);
          b.assign(buf, step);
        }
        yield param.minus(learningRate.times(step));
      }
      case Adam a -> adam(param, param, coupledDecay(gradient, param, a.weightDecay()), learningRate, t,
          a.beta1(), a.beta2(), a.eps(), "adam");
      case AdamW a -> adam(param, param.minus(learningRate.times(a.weightDecay()).times(param)), gradient,
          learningRate, t, a.beta1(), a.beta2(), a.eps(), "adamw");
    };
  }

  /** The Adam step applied to {@code base} (the parameter, or AdamW's decayed parameter). */
  private static Tensor adam(Tensor param, Tensor base, Tensor g, Tensor lr, Tensor t, double beta1, double beta2,
      double eps, String name) {
    GraphBuilder b = g.builder();
    Tensor m = slot(param, name + "/m", 0);
    Tensor v = slot(param, name + "/v", 0);
    Tensor nextM = m.times(beta1).plus(g.times(1 - beta1));
    Tensor nextV = v.times(beta2).plus(g.square().times(1 - beta2));
    b.assign(m, nextM);
    b.assign(v, nextV);
    // Bias corrections 1 − β^t, computed in the graph so the step number is an ordinary value.
    Tensor correction1 = t.scalarLike(beta1).pow(t).unaryMinus().plus(1);
    Tensor correction2 = t.scalarLike(beta2).pow(t).unaryMinus().plus(1);
    Tensor mHat = nextM.div(correction1);
    Tensor vHat = nextV.div(correction2);
    return base.minus(lr.times(mHat).div(vHat.sqrt().plus(eps)));
  }

  private static Tensor coupledDecay(Tensor g, Tensor param, double weightDecay) {
    return weightDecay == 0 ? g : g.plus(param.times(weightDecay));
  }

  /** A state buffer shaped like {@code param}, named after it. */
  private static Tensor slot(Tensor param, String slot, double initial) {
    return param.builder().state(param.name() + "/" + slot, param.dtype(), param.shape(), new Initializer.Constant(initial));
  }

  private static void checkAdam(double beta1, double beta2, double eps, double weightDecay) {
    check(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got " + beta1);
    check(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got " + beta2);
    check(eps > 0, "eps must be > 0, got " + eps);
    check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AdjointException("optimizer: " + message);
    }
  }
}
