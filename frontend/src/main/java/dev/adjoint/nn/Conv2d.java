package dev.adjoint.nn;

import dev.adjoint.dsl.Conv2dOptions;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Shape;
import org.jspecify.annotations.Nullable;

/**
 * A 2-D convolution layer over NCHW inputs: weight {@code [out, in/groups, k, k]} (He normal by
 * default, for relu networks) and an optional bias {@code [out]} added per channel. Parameters are
 * named {@code <name>/w} and {@code <name>/b}. Configure with the withers, then {@link #build}:
 *
 * <pre>{@code
 * Conv2d conv = Conv2d.of(16, 32, 3).stride(2).padding(Padding.same()).noBias().build(b, "conv1", DType.F32);
 * Tensor y = conv.invoke(x); // Kotlin: conv(x)
 * }</pre>
 */
public final class Conv2d {
  private final String name;
  private final Conv2dOptions options;
  private final Tensor weight;
  private final @Nullable Tensor bias;

  private Conv2d(String name, Conv2dOptions options, Tensor weight, @Nullable Tensor bias) {
    this.name = name;
    this.options = options;
    this.weight = weight;
    this.bias = bias;
  }

  /** A layer description: channels, kernel, stride, padding, dilation, groups, bias, initializer. */
  public record Spec(
      int inChannels, int outChannels, int kernel, Conv2dOptions options, boolean bias, Initializer init) {

    public Spec stride(int s) {
      return new Spec(inChannels, outChannels, kernel, options.withStrides(s, s), bias, init);
    }

    public Spec padding(Padding p) {
      return new Spec(inChannels, outChannels, kernel, options.withPadding(p), bias, init);
    }

    public Spec dilation(int d) {
      return new Spec(inChannels, outChannels, kernel, options.withDilations(d, d), bias, init);
    }

    public Spec groups(int g) {
      return new Spec(inChannels, outChannels, kernel, options.withGroups(g), bias, init);
    }

    /** No bias: the usual choice before a batch norm, which has its own shift. */
    public Spec noBias() {
      return new Spec(inChannels, outChannels, kernel, options, false, init);
    }

    public Spec init(Initializer init) {
      return new Spec(inChannels, outChannels, kernel, options, bias, init);
    }

    public Conv2d build(GraphBuilder b, String name, DType dtype) {
      if (inChannels < 1 || outChannels < 1 || kernel < 1) {
        throw new AdjointException("conv layer '" + name + "' needs positive sizes, got in=" + inChannels + ", out="
            + outChannels + ", kernel=" + kernel);
      }
      if (inChannels % options.groups() != 0 || outChannels % options.groups() != 0) {
        throw new AdjointException("conv layer '" + name + "': channels in=" + inChannels + " and out=" + outChannels
            + " must both be divisible by groups=" + options.groups());
      }
      return b.scope(name, () -> {
        Tensor w = b.parameter("w", dtype, Shape.of(outChannels, inChannels / options.groups(), kernel, kernel), init);
        Tensor bias = this.bias ? b.parameter("b", dtype, Shape.of(outChannels), Initializer.zeros()) : null;
        return new Conv2d(name, options, w, bias);
      });
    }
  }

  /** Stride 1, no padding, no dilation, one group, with bias, He normal weights. */
  public static Spec of(int inChannels, int outChannels, int kernel) {
    return new Spec(inChannels, outChannels, kernel, Conv2dOptions.defaults(), true, Initializer.heNormal());
  }

  public Tensor invoke(Tensor x) {
    int in = weight.shape().dim(1) * options.groups();
    if (x.rank() != 4 || x.shape().dim(1) != in) {
      throw new AdjointException("conv layer '" + name + "' expects inputs [N, " + in + ", H, W], got " + x.type()
          + " from " + x.node().describe());
    }
    Tensor y = x.conv2d(weight, options);
    return bias == null ? y : y.plus(bias.reshape(1, bias.shape().dim(0), 1, 1));
  }

  public Tensor weight() {
    return weight;
  }

  public @Nullable Tensor bias() {
    return bias;
  }

  public Conv2dOptions options() {
    return options;
  }
}
