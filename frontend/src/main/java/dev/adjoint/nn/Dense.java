package dev.adjoint.nn;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Initializer;
import org.jspecify.annotations.Nullable;

/**
 * A fully connected layer {@code y = x·W + b} with {@code W: [in, out]} and {@code b: [out]}
 * (zeros). Parameters are named {@code <name>/w} and {@code <name>/b}. Call it with {@link
 * #invoke} ({@code dense(x)} in Kotlin).
 */
public final class Dense {
  private final String name;
  private final Tensor weight;
  private final @Nullable Tensor bias;

  private Dense(String name, Tensor weight, @Nullable Tensor bias) {
    this.name = name;
    this.weight = weight;
    this.bias = bias;
  }

  /** Glorot/Xavier uniform weights: for tanh, sigmoid and linear layers. */
  public static Dense xavier(GraphBuilder b, String name, DType dtype, int in, int out) {
    return create(b, name, dtype, in, out, Initializer.xavierUniform(), true);
  }

  /** He/Kaiming normal weights (gain √2, fan-in): for relu layers. */
  public static Dense he(GraphBuilder b, String name, DType dtype, int in, int out) {
    return create(b, name, dtype, in, out, Initializer.heNormal(), true);
  }

  public static Dense create(
      GraphBuilder b, String name, DType dtype, int in, int out, Initializer init, boolean useBias) {
    if (in < 1 || out < 1) {
      throw new AdjointException("dense layer '" + name + "' needs positive sizes, got in=" + in + ", out=" + out);
    }
    return b.scope(name, () -> {
      Tensor w = b.parameter("w", dtype, init, in, out);
      Tensor bias = useBias ? b.parameter("b", dtype, Initializer.zeros(), out) : null;
      return new Dense(name, w, bias);
    });
  }

  public Tensor invoke(Tensor x) {
    int in = weight.shape().dim(0);
    if (x.rank() < 1 || x.shape().dim(x.rank() - 1) != in) {
      throw new AdjointException("dense layer '" + name + "' expects inputs [..., " + in + "], got "
          + x.type() + " from " + x.node().describe());
    }
    Tensor y = x.matmul(weight);
    return bias == null ? y : y.plus(bias);
  }

  public Tensor weight() {
    return weight;
  }

  public @Nullable Tensor bias() {
    return bias;
  }
}
