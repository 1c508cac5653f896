package dev.adjoint.tests.opinfo;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.TensorType;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Input domains the table needs beyond {@link InputDomain}'s own. */
final class Domains {
  private Domains() {}

  /** Small signed integers, for integer samples of numeric ops. */
  static final InputDomain SMALL_INTEGERS =
      InputDomain.custom("integers[-9, 9]",
          (type, rng) -> NDArray.generate(type.dtype(), type.shape(), i -> rng.nextInt(19) - 9));

  /** Non-zero small signed integers, for integer divisors. */
  static final InputDomain NON_ZERO_INTEGERS =
      InputDomain.custom("integers[-9, 9] without 0", (type, rng) -> NDArray.generate(
          type.dtype(), type.shape(), i -> (rng.nextBoolean() ? 1 : -1) * (1 + rng.nextInt(9))));

  /** Step counters for random ops: any non-negative i64 scalar. */
  static final InputDomain STEPS = InputDomain.integers(1 << 20);

  /** Rows of positive numbers summing to 1 along the last axis: probability targets. */
  static final InputDomain PROBABILITIES = InputDomain.custom("probability rows", (type, rng) -> {
    int classes = type.shape().dim(type.rank() - 1);
    double[] p = new double[type.shape().size()];
    for (int row = 0; row < p.length / classes; row++) {
      double total = 0;
      for (int c = 0; c < classes; c++) {
        p[row * classes + c] = 0.1 + rng.nextDouble();
        total += p[row * classes + c];
      }
      for (int c = 0; c < classes; c++) {
        p[row * classes + c] /= total;
      }
    }
    return NDArray.of(type.dtype(), type.shape(), p);
  });

  /**
   * {@code real} for floating operands, {@link #SMALL_INTEGERS} for integer ones and {@link
   * InputDomain#BOOLEAN} for booleans: one domain for a row whose samples use several dtypes.
   */
  static InputDomain numeric(InputDomain real) {
    return byDType(real, SMALL_INTEGERS);
  }

  static InputDomain byDType(InputDomain real, InputDomain integer) {
    return InputDomain.dependent(real.name() + " or " + integer.name(), (type, rng, earlier) -> {
      InputDomain chosen = type.dtype().isFloating() ? real : type.dtype().isInteger() ? integer : InputDomain.BOOLEAN;
      return chosen.sample(type, rng, earlier);
    });
  }

  /** {@code real}, with about a quarter of the elements exactly zero (sign, cast to bool). */
  static InputDomain withZeros(InputDomain real) {
    return InputDomain.dependent(real.name() + " with zeros", (type, rng, earlier) -> {
      NDArray values = real.sample(type, rng, earlier);
      return NDArray.generate(type.dtype(), type.shape(), i -> rng.nextInt(4) == 0 ? 0 : values.get(i));
    });
  }

  /** Class labels in {@code [0, C)}, C being the last dimension of the logits operand {@code x0}. */
  static final InputDomain LABELS = InputDomain.dependent("labels in [0, classes of x0)", (type, rng, earlier) -> {
    NDArray logits = earlier.get("x0");
    int classes = logits.shape().dim(logits.shape().rank() - 1);
    return InputDomain.integers(classes).sample(type, rng);
  });

  /**
   * Uniform in [-2, 2], each element at least {@code gap} away from every element of operand
   * {@code x0} it meets under broadcasting, so a max, min or comparison of the two cannot change
   * under a small perturbation. With {@code ties}, about a third of the elements instead copy the
   * first element of {@code x0} they meet, so comparisons also see equal operands. Integer and
   * boolean operands get {@link #numeric} values.
   */
  static InputDomain apartFromFirstOperand(double gap, boolean ties) {
    String name = (ties ? "ties with or " : "") + gap + " apart from x0";
    return InputDomain.dependent(name, (type, rng, earlier) -> {
      if (!type.dtype().isFloating()) {
        return numeric(InputDomain.REAL).sample(type, rng, earlier);
      }
      NDArray first = earlier.get("x0");
      List<List<Double>> met = metElements(first, type);
      double[] values = new double[met.size()];
      for (int j = 0; j < values.length; j++) {
        values[j] = ties && rng.nextInt(3) == 0 ? met.get(j).getFirst() : apart(met.get(j), gap, rng);
      }
      return NDArray.of(type.dtype(), type.shape(), values);
    });
  }

  /** For each element of an operand of type {@code second}, the elements of {@code first} it meets. */
  private static List<List<Double>> metElements(NDArray first, TensorType second) {
    int[] firstDims = first.shape().dims();
    int[] secondDims = second.shape().dims();
    int[] dims = ReferenceMath.broadcastDims(List.of(firstDims, secondDims));
    List<List<Double>> met = new ArrayList<>();
    for (int j = 0; j < second.shape().size(); j++) {
      met.add(new ArrayList<>());
    }
    NDArray positions = NDArray.generate(second.dtype(), second.shape(), j -> j);
    for (int i = 0; i < ReferenceMath.count(dims); i++) {
      int[] at = ReferenceMath.position(i, dims);
      met.get((int) ReferenceMath.read(positions, at)).add(ReferenceMath.read(first, at));
    }
    return met;
  }

  private static double apart(List<Double> others, double gap, Random rng) {
    for (int attempt = 0; attempt < 10_000; attempt++) {
      double candidate = -2 + 4 * rng.nextDouble();
      if (others.stream().allMatch(o -> Math.abs(o - candidate) >= gap)) {
        return candidate;
      }
    }
    throw new AdjointException("no value in [-2, 2] is " + gap + " apart from all of " + others);
  }
}
