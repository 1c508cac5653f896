package dev.adjoint.testing;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.TensorType;
import java.util.Map;
import java.util.Random;

/**
 * Where the values of one input are drawn from, so that a gradient check sees points where the
 * function is smooth: positive values for log and sqrt, values away from zero for relu and abs,
 * well-separated values for max and min reductions, class labels for integer inputs.
 *
 * <p>A domain may look at the feeds sampled before it ({@link #dependent}), for example to draw the
 * second operand of a binary max away from the first.
 */
public final class InputDomain {

  /** Samples a value of a concrete type. */
  @FunctionalInterface
  public interface Sampler {
    NDArray sample(TensorType concrete, Random rng);
  }

  /** Samples a value of a concrete type, seeing the feeds sampled before it, by name. */
  @FunctionalInterface
  public interface DependentSampler {
    NDArray sample(TensorType concrete, Random rng, Map<String, NDArray> earlier);
  }

  /** Uniform in [-2, 2]. */
  public static final InputDomain REAL = uniform(-2, 2);

  /** Uniform in [0.1, 2]: inside the domain of log, sqrt and reciprocal, away from their poles. */
  public static final InputDomain POSITIVE = uniform(0.1, 2);

  /** {@code |x|} uniform in [0.1, 2] with a random sign: away from the kinks of relu and abs. */
  public static final InputDomain AWAY_FROM_ZERO = awayFromZero(0.1, 2);

  /** Uniform in [0.05, 0.95]: probabilities, away from 0 and 1. */
  public static final InputDomain UNIT_INTERVAL = uniform(0.05, 0.95);

  /**
   * Values in random order, no two within 0.05 of each other, spread over [-2, 2] (wider when there
   * are more than 40 elements): a small perturbation never changes which element is the max or min.
   */
  public static final InputDomain DISTINCT = distinct(0.05);

  /** True or false with equal probability, for boolean inputs. */
  public static final InputDomain BOOLEAN =
      new InputDomain("boolean", (type, rng, earlier) -> {
        requireDType(type, DType.BOOL, "boolean");
        return NDArray.generate(type.dtype(), type.shape(), i -> rng.nextBoolean() ? 1 : 0);
      });

  private final String name;
  private final DependentSampler sampler;

  private InputDomain(String name, DependentSampler sampler) {
    this.name = name;
    this.sampler = sampler;
  }

  /** Uniform real values in {@code [low, high]} for a floating input. */
  public static InputDomain uniform(double low, double high) {
    requireRange(low, high);
    String name = "uniform[" + low + ", " + high + "]";
    return new InputDomain(name, (type, rng, earlier) -> {
      requireFloating(type, name);
      return NDArray.generate(type.dtype(), type.shape(), i -> low + (high - low) * rng.nextDouble());
    });
  }

  /** {@code |x|} uniform in {@code [low, high]} ({@code low > 0}), each element with a random sign. */
  public static InputDomain awayFromZero(double low, double high) {
    requireRange(low, high);
    if (!(low > 0)) {
      throw new AdjointException("awayFromZero needs a positive lower bound, got " + low);
    }
    String name = "away_from_zero[" + low + ", " + high + "]";
    return new InputDomain(name, (type, rng, earlier) -> {
      requireFloating(type, name);
      return NDArray.generate(
          type.dtype(), type.shape(), i -> (rng.nextBoolean() ? 1 : -1) * (low + (high - low) * rng.nextDouble()));
    });
  }

  /**
   * Pairwise more than {@code gap} apart, in random order. Element ranks are shuffled and each gets
   * a slot of width {@code max(4/n, 2·gap)} centered on zero, jittered inside its slot by less than
   * {@code width - gap}, so neighbours stay more than {@code gap} apart.
   */
  public static InputDomain distinct(double gap) {
    if (!(gap > 0 && Double.isFinite(gap))) {
      throw new AdjointException("distinct needs a positive gap, got " + gap);
    }
    String name = "distinct(gap " + gap + ")";
    return new InputDomain(name, (type, rng, earlier) -> {
      requireFloating(type, name);
      int n = type.shape().size();
      int[] rank = shuffledRanks(n, rng);
      double width = Math.max(4.0 / n, 2 * gap);
      double start = -width * n / 2;
      return NDArray.generate(
          type.dtype(), type.shape(), i -> start + width * rank[i] + (width - gap) * rng.nextDouble());
    });
  }

  /** Integer class labels uniform in {@code [0, bound)}, for an i32 or i64 input. */
  public static InputDomain integers(int bound) {
    if (bound < 1) {
      throw new AdjointException("integer labels need a bound of at least 1, got " + bound);
    }
    String name = "integers[0, " + bound + ")";
    return new InputDomain(name, (type, rng, earlier) -> {
      if (!type.dtype().isInteger()) {
        throw new AdjointException("domain " + name + " samples integer labels, but the input is " + type);
      }
      return NDArray.generate(type.dtype(), type.shape(), i -> rng.nextInt(bound));
    });
  }

  /** A domain drawn by {@code sampler}; {@code name} appears in test reports and errors. */
  public static InputDomain custom(String name, Sampler sampler) {
    return new InputDomain(name, (type, rng, earlier) -> sampler.sample(type, rng));
  }

  /**
   * A domain that sees the feeds sampled before it ({@link AdjointArbitraries#feeds} samples inputs
   * in graph order), e.g. the second operand of a binary max drawn away from the first.
   */
  public static InputDomain dependent(String name, DependentSampler sampler) {
    return new InputDomain(name, sampler);
  }

  public String name() {
    return name;
  }

  /** A value of {@code concrete}'s dtype and shape, for a domain that needs no earlier feeds. */
  public NDArray sample(TensorType concrete, Random rng) {
    return sample(concrete, rng, Map.of());
  }

  /**
   * A value of {@code concrete}'s dtype and shape; {@code earlier} holds the feeds sampled before,
   * by name.
   */
  public NDArray sample(TensorType concrete, Random rng, Map<String, NDArray> earlier) {
    if (concrete.shape().isBatched()) {
      throw new AdjointException("domain " + name + " samples concrete values; " + concrete
          + " still has the symbolic batch N (resolve it first)");
    }
    NDArray value = sampler.sample(concrete, rng, earlier);
    if (!value.type().equals(concrete)) {
      throw new AdjointException("domain " + name + " sampled " + value.type() + " where " + concrete + " was asked for");
    }
    return value;
  }

  @Override
  public String toString() {
    return name;
  }

  private static void requireRange(double low, double high) {
    if (!(Double.isFinite(low) && Double.isFinite(high) && low <= high)) {
      throw new AdjointException("invalid sampling range [" + low + ", " + high + "]");
    }
  }

  private static void requireFloating(TensorType type, String domain) {
    if (!type.dtype().isFloating()) {
      throw new AdjointException("domain " + domain + " samples real values, but the input is " + type
          + "; integer inputs need InputDomain.integers(bound), boolean ones InputDomain.BOOLEAN");
    }
  }

  private static void requireDType(TensorType type, DType dtype, String domain) {
    if (type.dtype() != dtype) {
      throw new AdjointException("domain " + domain + " samples " + dtype + " values, but the input is " + type);
    }
  }

  /** A uniformly random permutation of {@code 0..n-1} (Fisher-Yates). */
  private static int[] shuffledRanks(int n, Random rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
