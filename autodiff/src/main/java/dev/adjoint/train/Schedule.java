package dev.adjoint.train;

import dev.adjoint.ir.AdjointException;
import java.util.List;

/**
 * A learning rate as a function of the step number (0 for the first step). Schedules are plain
 * Java: the learning rate is an input of the compiled training step, so changing it never
 * recompiles.
 */
@FunctionalInterface
public interface Schedule {
  double learningRate(long step);

  static Schedule constant(double lr) {
    positive(lr, "learning rate");
    return step -> lr;
  }

  /**
   * Piecewise constant: {@code values[i]} from step {@code boundaries[i−1]} (inclusive) to
   * {@code boundaries[i]}; {@code values} has one more entry than {@code boundaries}.
   */
  static Schedule piecewiseConstant(List<Long> boundaries, List<Double> values) {
    if (values.size() != boundaries.size() + 1) {
      throw new AdjointException("a piecewise-constant schedule needs one more value than boundaries, got "
          + values.size() + " values and " + boundaries.size() + " boundaries");
    }
    for (int i = 1; i < boundaries.size(); i++) {
      if (boundaries.get(i) <= boundaries.get(i - 1)) {
        throw new AdjointException("schedule boundaries must increase, got " + boundaries);
      }
    }
    List<Long> bounds = List.copyOf(boundaries);
    List<Double> vals = List.copyOf(values);
    return step -> {
      int i = 0;
      while (i < bounds.size() && step >= bounds.get(i)) {
        i++;
      }
      return vals.get(i);
    };
  }

  /** Step decay: {@code lr·γ^⌊step / every⌋} (PyTorch's {@code StepLR}). */
  static Schedule stepDecay(double lr, long every, double gamma) {
    positive(lr, "learning rate");
    if (every < 1 || !(gamma > 0)) {
      throw new AdjointException("step decay needs every >= 1 and gamma > 0, got " + every + " and " + gamma);
    }
    return step -> lr * Math.pow(gamma, Math.floorDiv(step, every));
  }

  /** Exponential decay: {@code lr·γ^step}. */
  static Schedule exponentialDecay(double lr, double gamma) {
    positive(lr, "learning rate");
    positive(gamma, "gamma");
    return step -> lr * Math.pow(gamma, step);
  }

  /**
   * Cosine annealing from {@code lr} to {@code minLr} over {@code totalSteps}, then {@code minLr}
   * (PyTorch's {@code CosineAnnealingLR} without restarts).
   */
  static Schedule cosine(double lr, double minLr, long totalSteps) {
    positive(lr, "learning rate");
    if (totalSteps < 1 || minLr < 0 || minLr > lr) {
      throw new AdjointException("cosine schedule needs totalSteps >= 1 and 0 <= minLr <= lr, got " + totalSteps
          + ", " + minLr + ", " + lr);
    }
    return step -> step >= totalSteps
        ? minLr
        : minLr + (lr - minLr) * (1 + Math.cos(Math.PI * step / totalSteps)) / 2;
  }

  /**
   * Linear warm-up: {@code after(0)·(step + 1)/warmupSteps} for the first {@code warmupSteps}
   * steps, then {@code after(step − warmupSteps)}.
   */
  static Schedule linearWarmup(long warmupSteps, Schedule after) {
    if (warmupSteps < 1) {
      throw new AdjointException("warm-up needs at least one step, got " + warmupSteps);
    }
    return step -> step < warmupSteps
        ? after.learningRate(0) * (step + 1) / warmupSteps
        : after.learningRate(step - warmupSteps);
  }

  private static void positive(double v, String what) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new AdjointException(what + " must be positive and finite, got " + v);
    }
  }
}
