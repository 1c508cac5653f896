package dev.adjoint.ir;

import dev.adjoint.runtime.Philox;
import java.util.Locale;

/**
 * How a parameter or state buffer gets its first value. A sample is a pure function of (type,
 * seed, key): draws come from Philox keyed by (seed, step 0, key), element {@code i} of a uniform
 * sample from draw {@code i} and of a normal sample from draws {@code 2i} and {@code 2i+1}, so a
 * model initializes identically everywhere.
 *
 * <p>Fans follow PyTorch, except that Adjoint's dense weights are {@code [in, out]}: for a matrix
 * fan_in is dim 0 and fan_out dim 1; for a conv weight {@code [out, in, kh, kw]} both fans include
 * the kernel area. See {@link #fans}.
 *
 * <p>The records hold whatever they are given, so that any graph prints and parses back; their
 * arguments are checked when a value is drawn, and {@link #sample} reports a negative std, an
 * empty or reversed interval, a gain that is not positive or a fan of 0 as an {@link
 * AdjointException}.
 */
public sealed interface Initializer {

  /** Every element is {@code value}. */
  record Constant(double value) implements Initializer {}

  /** Uniform on [low, high). */
  record Uniform(double low, double high) implements Initializer {}

  /** Normal with the given mean and standard deviation (std 0 gives the constant mean). */
  record Normal(double mean, double std) implements Initializer {}

  /**
   * A normal(mean, std) conditioned on [low, high], as PyTorch's {@code trunc_normal_}: the bounds
   * are values, not multiples of std, and may be infinite for a one-sided truncation. Drawn by the
   * inverse CDF: element i is {@code mean + std·Φ⁻¹(Φ(α) + u·(Φ(β) − Φ(α)))} with α, β the
   * standardized bounds and u the centre of the 24-bit cell of Philox draw i; an interval above the
   * mean (α &gt; 0) is drawn as the negated sample of [−β, −α], where the tail is resolved finely.
   */
  record TruncatedNormal(double mean, double std, double low, double high) implements Initializer {}

  /** Glorot &amp; Bengio: uniform on ±gain·√(6/(fan_in+fan_out)), variance gain²·2/(fan_in+fan_out). */
  record XavierUniform(double gain) implements Initializer {}

  /** Glorot &amp; Bengio: normal with variance gain²·2/(fan_in+fan_out). */
  record XavierNormal(double gain) implements Initializer {}

  /** He et al.: uniform on ±gain·√(3/fan), variance gain²/fan. */
  record HeUniform(double gain, FanMode mode) implements Initializer {}

  /** He et al.: normal with variance gain²/fan. */
  record HeNormal(double gain, FanMode mode) implements Initializer {}

  /**
   * Saxe et al., as PyTorch's {@code orthogonal_}: the weight viewed as a matrix [dim 0, product of
   * the other dims] is gain·Q, with Q from the QR decomposition of a standard normal matrix (the
   * draws of {@code Normal(0, 1)} of the same shape, seed and key) and its columns' signs chosen so
   * that R has a non-negative diagonal. Q has orthonormal columns when the matrix is tall or square
   * and orthonormal rows when it is wide (the wide case decomposes the transpose). Needs rank ≥ 2.
   */
  record Orthogonal(double gain) implements Initializer {}

  /** Which fan the He initializers scale by: fan_in keeps forward activations' variance, fan_out gradients'. */
  enum FanMode {
    FAN_IN,
    FAN_OUT
  }

  /** The activations {@link #gain(Nonlinearity, double)} knows, as PyTorch's {@code calculate_gain}. */
  enum Nonlinearity {
    LINEAR,
    SIGMOID,
    TANH,
    RELU,
    LEAKY_RELU,
    SELU
  }

  /** fan_in and fan_out of a weight shape. */
  record Fans(long in, long out) {}

  static Initializer zeros() {
    return new Constant(0);
  }

  static Initializer ones() {
    return new Constant(1);
  }

  /** He initialization for relu layers: gain √2, fan_in mode. */
  static Initializer heNormal() {
    return new HeNormal(gain(Nonlinearity.RELU), FanMode.FAN_IN);
  }

  /** He uniform for relu layers: gain √2, fan_in mode. */
  static Initializer heUniform() {
    return new HeUniform(gain(Nonlinearity.RELU), FanMode.FAN_IN);
  }

  static Initializer xavierUniform() {
    return new XavierUniform(1);
  }

  static Initializer xavierNormal() {
    return new XavierNormal(1);
  }

  /** LeCun uniform: variance 1/fan_in, which is He uniform with gain 1 in fan_in mode. */
  static Initializer lecunUniform() {
    return new HeUniform(1, FanMode.FAN_IN);
  }

  /** LeCun normal: variance 1/fan_in, which is He normal with gain 1 in fan_in mode. */
  static Initializer lecunNormal() {
    return new HeNormal(1, FanMode.FAN_IN);
  }

  static Initializer orthogonal() {
    return new Orthogonal(1);
  }

  /** The recommended gain for a nonlinearity; leaky relu with PyTorch's default slope 0.01. */
  static double gain(Nonlinearity nonlinearity) {
    return gain(nonlinearity, 0.01);
  }

  /**
   * The recommended gain for a nonlinearity, as PyTorch's {@code calculate_gain}: 1 for linear and
   * sigmoid, 5/3 for tanh, √2 for relu, √(2/(1+slope²)) for leaky relu, 3/4 for selu.
   *
   * @param negativeSlope the slope of leaky relu for negative inputs; the other nonlinearities have
   *     none and ignore it
   */
  static double gain(Nonlinearity nonlinearity, double negativeSlope) {
    return switch (nonlinearity) {
      case LINEAR, SIGMOID -> 1;
      case TANH -> 5.0 / 3;
      case RELU -> Math.sqrt(2);
      case LEAKY_RELU -> {
        if (!Double.isFinite(negativeSlope)) {
          throw new AdjointException("the negative slope of leaky relu must be finite, got " + negativeSlope);
        }
        yield Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
      }
      case SELU -> 0.75;
    };
  }

  /**
   * Draws a value of the given concrete type. {@code key} separates the parameters of one model.
   *
   * @throws AdjointException if the shape has the symbolic batch dimension, or the initializer's
   *     arguments do not describe a distribution for this shape
   */
  default NDArray sample(TensorType type, long seed, long key) {
    Shape shape = type.shape();
    if (shape.isBatched()) {
      throw invalid(type, "its shape has the symbolic batch dimension N, so its size is unknown");
    }
    return switch (this) {
      case Constant c -> NDArray.filled(type.dtype(), shape, c.value());
      case Uniform u -> {
        if (!Double.isFinite(u.low()) || !Double.isFinite(u.high())) {
          throw invalid(type, "low and high must be finite");
        }
        if (u.low() > u.high()) {
          throw invalid(type, "low " + u.low() + " is greater than high " + u.high());
        }
        yield uniform(type, seed, key, u.low(), u.high());
      }
      case Normal n -> {
        checkNormal(type, n.mean(), n.std());
        yield normal(type, seed, key, n.mean(), n.std());
      }
      case TruncatedNormal t -> {
        checkNormal(type, t.mean(), t.std());
        if (t.std() == 0) {
          throw invalid(type, "std must be positive to standardize the bounds");
        }
        if (Double.isNaN(t.low()) || Double.isNaN(t.high()) || !(t.low() < t.high())) {
          throw invalid(type, "low must be less than high");
        }
        yield truncatedNormal(type, seed, key, t);
      }
      case XavierUniform x -> {
        double bound = positive(type, x.gain()) * Math.sqrt(6.0 / xavierFans(type));
        yield uniform(type, seed, key, -bound, bound);
      }
      case XavierNormal x -> normal(type, seed, key, 0, positive(type, x.gain()) * Math.sqrt(2.0 / xavierFans(type)));
      case HeUniform h -> {
        double bound = Math.sqrt(3) * positive(type, h.gain()) / Math.sqrt(fan(type, h.mode()));
        yield uniform(type, seed, key, -bound, bound);
      }
      case HeNormal h -> normal(type, seed, key, 0, positive(type, h.gain()) / Math.sqrt(fan(type, h.mode())));
      case Orthogonal o -> {
        positive(type, o.gain());
        if (shape.rank() < 2) {
          throw invalid(type, "it needs a weight of rank 2 or more, viewed as a matrix [dim 0, rest]");
        }
        yield orthogonal(type, seed, key, o.gain());
      }
    };
  }

  /**
   * fan_in and fan_out of a concrete shape. A dense weight {@code [in, out]} has fans (in, out); a
   * conv weight {@code [out, in, k...]} (PyTorch layout) has (in·K, out·K) with K the kernel area,
   * the product of the dims after the first two. A vector {@code [n]} has (n, n), a scalar (1, 1).
   */
  static Fans fans(Shape shape) {
    return switch (shape.rank()) {
      case 0 -> new Fans(1, 1);
      case 1 -> new Fans(shape.dim(0), shape.dim(0));
      case 2 -> new Fans(shape.dim(0), shape.dim(1));
      default -> {
        long kernelArea = 1;
        for (int i = 2; i < shape.rank(); i++) {
          kernelArea *= shape.dim(i);
        }
        yield new Fans(shape.dim(1) * kernelArea, shape.dim(0) * kernelArea);
      }
    };
  }

  private AdjointException invalid(TensorType type, String reason) {
    return new AdjointException("cannot sample " + this + " for " + type + ": " + reason);
  }

  private double positive(TensorType type, double gain) {
    if (!(gain > 0) || gain == Double.POSITIVE_INFINITY) {
      throw invalid(type, "gain must be positive and finite, got " + gain);
    }
    return gain;
  }

  private void checkNormal(TensorType type, double mean, double std) {
    if (!Double.isFinite(mean)) {
      throw invalid(type, "mean must be finite, got " + mean);
    }
    if (!(std >= 0) || std == Double.POSITIVE_INFINITY) {
      throw invalid(type, "std must be non-negative and finite, got " + std);
    }
  }

  /** fan_in + fan_out, each of which must be positive. */
  private double xavierFans(TensorType type) {
    Fans fans = fans(type.shape());
    if (fans.in() == 0 || fans.out() == 0) {
      throw invalid(type, "fan_in is " + fans.in() + " and fan_out " + fans.out() + "; both must be positive");
    }
    return (double) fans.in() + fans.out();
  }

  private double fan(TensorType type, FanMode mode) {
    Fans fans = fans(type.shape());
    long fan = mode == FanMode.FAN_IN ? fans.in() : fans.out();
    if (fan == 0) {
      throw invalid(type, mode.name().toLowerCase(Locale.ROOT) + " is 0");
    }
    return fan;
  }

  private static NDArray uniform(TensorType type, long seed, long key, double low, double high) {
    return NDArray.generate(type.dtype(), type.shape(), i -> low + (high - low) * Philox.uniform(seed, 0, key, i));
  }

  private static NDArray normal(TensorType type, long seed, long key, double mean, double std) {
    return NDArray.generate(type.dtype(), type.shape(), i -> mean + gaussian(seed, key, i, std));
  }

  /** std·z for the standard normal z of element i: Box-Muller on Philox draws 2i and 2i+1. */
  private static double gaussian(long seed, long key, long i, double std) {
    double u1 = 1 - Philox.uniform(seed, 0, key, 2 * i); // in (0, 1], so log is finite
    double u2 = Philox.uniform(seed, 0, key, 2 * i + 1);
    return std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private NDArray truncatedNormal(TensorType type, long seed, long key, TruncatedNormal t) {
    double alpha = (t.low() - t.mean()) / t.std();
    double beta = (t.high() - t.mean()) / t.std();
    // An interval above the mean is drawn mirrored, where its CDF values are small and doubles fine.
    boolean mirrored = alpha > 0;
    double lowCdf = normalCdf(mirrored ? -beta : alpha);
    double highCdf = normalCdf(mirrored ? -alpha : beta);
    if (!(highCdf > lowCdf)) {
      throw invalid(type, "[low, high] holds no probability in double precision (it lies more than about 37 std from the mean)");
    }
    return NDArray.generate(
        type.dtype(),
        type.shape(),
        i -> {
          // The centre of the draw's 24-bit cell lies strictly inside (0, 1), so no element lands
          // on a bound by rounding to Φ⁻¹(0) or Φ⁻¹(1).
          double u = Philox.uniform(seed, 0, key, i) + 0x1.0p-25;
          double z = normalQuantile(lowCdf + u * (highCdf - lowCdf));
          return Math.clamp(t.mean() + t.std() * (mirrored ? -z : z), t.low(), t.high());
        });
  }

  /**
   * The standard normal CDF Φ, to a relative error near 1e-15 in either tail's small values: within
   * ±3 by Marsaglia's series (J. Stat. Softw. 11(4), 2004), beyond by Laplace's continued fraction
   * for the Mills ratio.
   */
  private static double normalCdf(double x) {
    if (Math.abs(x) > 3) {
      double t = Math.abs(x);
      double fraction = 0; // 60 levels reach full precision for t > 3
      for (int k = 60; k >= 1; k--) {
        fraction = k / (t + fraction);
      }
      double tail = normalDensity(x) / (t + fraction);
      return x < 0 ? tail : 1 - tail;
    }
    double q = x * x;
    double term = x;
    double sum = x;
    for (int k = 3; ; k += 2) {
      term *= q / k;
      double next = sum + term;
      if (next == sum) {
        break;
      }
      sum = next;
    }
    return 0.5 + sum * normalDensity(x);
  }

  private static double normalDensity(double x) {
    return Math.exp(-0.5 * x * x - 0.91893853320467274178); // the constant is ln √(2π)
  }

  /**
   * Φ⁻¹ by Wichura's algorithm AS 241 (PPND16, Appl. Statist. 37(3), 1988), to a relative error
   * near 1e-16; ±∞ at 0 and 1.
   */
  private static double normalQuantile(double p) {
    if (p <= 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (p >= 1) {
      return Double.POSITIVE_INFINITY;
    }
    double q = p - 0.5;
    if (Math.abs(q) <= 0.425) {
      double r = 0.180625 - q * q;
      return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
                          + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                  + 133.14166789178437745) * r + 3.387132872796366608)
          / (((((((5226.495278852854561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                          + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                  + 42.313330701600911252) * r + 1);
    }
    double r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
    double x;
    if (r <= 5) {
      r -= 1.6;
      x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                          + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                  + 4.6303378461565452959) * r + 1.42343711074968357734)
          / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                          + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                  + 2.05319162663775882187) * r + 1);
    } else {
      r -= 5;
      x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                          + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                  + 5.4637849111641143699) * r + 6.6579046435011037772)
          / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                          + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                  + 0.59983220655588793769) * r + 1);
    }
    return q < 0 ? -x : x;
  }

  private static NDArray orthogonal(TensorType type, long seed, long key, double gain) {
    Shape shape = type.shape();
    if (shape.size() == 0) {
      return NDArray.zeros(type.dtype(), shape);
    }
    int rows = shape.dim(0);
    int cols = shape.size() / rows;
    boolean wide = rows < cols; // decompose the transpose, whose Q then gives orthonormal rows
    int tall = Math.max(rows, cols);
    int narrow = Math.min(rows, cols);
    double[][] columns = new double[narrow][tall];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        double z = gaussian(seed, key, (long) r * cols + c, 1);
        if (wide) {
          columns[r][c] = z;
        } else {
          columns[c][r] = z;
        }
      }
    }
    double[][] q = orthonormalColumns(columns, tall);
    return NDArray.generate(type.dtype(), shape, i -> gain * (wide ? q[i / cols][i % cols] : q[i % cols][i / cols]));
  }

  /**
   * The Q of the thin QR decomposition of a tall matrix given as its columns (each of length
   * {@code m}), with each column's sign chosen so that R's diagonal is non-negative: the Q that
   * Gram-Schmidt gives, computed with Householder reflections, which keep Q orthogonal to rounding
   * even when the draws are ill-conditioned. Overwrites {@code a} with the reflection vectors.
   */
  private static double[][] orthonormalColumns(double[][] a, int m) {
    int n = a.length;
    double[] scale = new double[n]; // H_k = I - scale_k·v_k·v_kᵀ, v_k stored in a[k]
    boolean[] negativeDiagonal = new boolean[n];
    for (int k = 0; k < n; k++) {
      double[] v = a[k];
      double squares = 0;
      for (int i = k; i < m; i++) {
        squares += v[i] * v[i];
      }
      double head = v[k];
      double diagonal = head > 0 ? -Math.sqrt(squares) : Math.sqrt(squares); // R[k][k]; the sign avoids cancellation
      negativeDiagonal[k] = diagonal < 0;
      v[k] -= diagonal;
      double vv = 2 * (squares - diagonal * head); // |v|², both terms non-negative
      scale[k] = vv > 0 ? 2 / vv : 0; // a zero column needs no reflection
      for (int j = k + 1; j < n; j++) {
        reflect(v, scale[k], a[j], k, m);
      }
    }
    double[][] q = new double[n][m];
    for (int j = 0; j < n; j++) {
      q[j][j] = 1;
      // Q e_j = H_0 ··· H_j e_j: the later reflections leave e_j alone.
      for (int k = j; k >= 0; k--) {
        reflect(a[k], scale[k], q[j], k, m);
      }
      if (negativeDiagonal[j]) {
        for (int i = 0; i < m; i++) {
          q[j][i] = -q[j][i];
        }
      }
    }
    return q;
  }

  /** x ← (I - scale·v·vᵀ)·x, where v is zero above row {@code from}. */
  private static void reflect(double[] v, double scale, double[] x, int from, int m) {
    double dot = 0;
    for (int i = from; i < m; i++) {
      dot += v[i] * x[i];
    }
    double s = scale * dot;
    for (int i = from; i < m; i++) {
      x[i] -= s * v[i];
    }
  }
}
