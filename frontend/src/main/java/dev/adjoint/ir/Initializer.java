package dev.adjoint.ir;

import dev.adjoint.runtime.Philox;

/**
 * How a parameter or state buffer gets its first value. Draws come from Philox keyed by (seed,
 * node key), so a model initializes identically everywhere. Fans follow PyTorch: for a matrix
 * {@code [in, out]} fan_in is dim 0 and fan_out dim 1; for higher ranks the trailing dims are the
 * receptive field (the kernel area), multiplied into both fans.
 */
public sealed interface Initializer {

  record Constant(double value) implements Initializer {}

  record Uniform(double low, double high) implements Initializer {}

  record Normal(double mean, double std) implements Initializer {}

  /** Glorot & Bengio: variance 2/(fan_in+fan_out); uniform bound sqrt(6/(fan_in+fan_out)). */
  record XavierUniform(double gain) implements Initializer {}

  record XavierNormal(double gain) implements Initializer {}

  /** He et al.: variance gain²/fan (gain sqrt(2) for relu); uniform bound sqrt(3)·std. */
  record HeUniform(double gain, FanMode mode) implements Initializer {}

  record HeNormal(double gain, FanMode mode) implements Initializer {}

  enum FanMode {
    FAN_IN,
    FAN_OUT
  }

  static Initializer zeros() {
    return new Constant(0);
  }

  static Initializer ones() {
    return new Constant(1);
  }

  /** He initialization for relu layers: gain sqrt(2), fan_in mode. */
  static Initializer heNormal() {
    return new HeNormal(Math.sqrt(2), FanMode.FAN_IN);
  }

  static Initializer xavierUniform() {
    return new XavierUniform(1);
  }

  /** Draws a value of the given concrete type. {@code key} separates the parameters of one model. */
  default NDArray sample(TensorType type, long seed, long key) {
    Shape shape = type.shape();
    int[] fans = fans(shape);
    return switch (this) {
      case Constant c -> NDArray.filled(type.dtype(), shape, c.value());
      case Uniform u -> uniform(type, seed, key, u.low(), u.high());
      case Normal n -> normal(type, seed, key, n.mean(), n.std());
      case XavierUniform x -> {
        double bound = x.gain() * Math.sqrt(6.0 / (fans[0] + fans[1]));
        yield uniform(type, seed, key, -bound, bound);
      }
      case XavierNormal x -> normal(type, seed, key, 0, x.gain() * Math.sqrt(2.0 / (fans[0] + fans[1])));
      case HeUniform h -> {
        double bound = Math.sqrt(3) * h.gain() / Math.sqrt(fan(fans, h.mode()));
        yield uniform(type, seed, key, -bound, bound);
      }
      case HeNormal h -> normal(type, seed, key, 0, h.gain() / Math.sqrt(fan(fans, h.mode())));
    };
  }

  private static int fan(int[] fans, FanMode mode) {
    return mode == FanMode.FAN_IN ? fans[0] : fans[1];
  }

  /** {fan_in, fan_out} of a concrete shape. */
  static int[] fans(Shape shape) {
    if (shape.rank() == 0) {
      return new int[] {1, 1};
    }
    if (shape.rank() == 1) {
      return new int[] {shape.dim(0), shape.dim(0)};
    }
    int receptive = 1;
    for (int i = 2; i < shape.rank(); i++) {
      receptive *= shape.dim(i);
    }
    // Dense weights are [in, out]; conv weights are [out, in, kh, kw] (PyTorch layout).
    return shape.rank() == 2
        ? new int[] {shape.dim(0), shape.dim(1)}
        : new int[] {shape.dim(1) * receptive, shape.dim(0) * receptive};
  }

  private static NDArray uniform(TensorType type, long seed, long key, double low, double high) {
    return NDArray.generate(type.dtype(), type.shape(), i -> low + (high - low) * Philox.uniform(seed, 0, key, i));
  }

  /** Box-Muller on two independent Philox streams of the same key. */
  private static NDArray normal(TensorType type, long seed, long key, double mean, double std) {
    return NDArray.generate(
        type.dtype(),
        type.shape(),
        i -> {
          double u1 = 1 - Philox.uniform(seed, 0, key, 2L * i); // in (0, 1], so log is finite
          double u2 = Philox.uniform(seed, 0, key, 2L * i + 1);
          return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        });
  }
}
