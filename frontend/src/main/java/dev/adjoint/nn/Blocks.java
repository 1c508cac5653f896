package dev.adjoint.nn;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;

/**
 * The building blocks of the convolutional nets Adjoint targets (NCHW). Each block scopes its
 * parameters under its name ({@code stage2/block1/conv1/w}) and follows the builder's training
 * mode for its batch norms.
 */
public final class Blocks {
  private Blocks() {}

  /** conv(k, stride, "same" padding, no bias) → batch norm. */
  public static Tensor convBn(String name, Tensor x, int outChannels, int kernel, int stride) {
    GraphBuilder b = x.builder();
    return b.scope(name, () -> {
      Tensor y = Conv2d.of(channels(x), outChannels, kernel).stride(stride).padding(Padding.same()).noBias()
          .build(b, "conv", x.dtype()).invoke(x);
      return BatchNorm.create(b, "bn", x.dtype(), outChannels).invoke(y);
    });
  }

  /**
   * ResNet's basic block (He et al. 2015): conv3×3(stride)–BN–relu–conv3×3–BN plus a shortcut,
   * then relu. The shortcut is the identity when shape and channels are unchanged, else a
   * projection conv1×1(stride)–BN.
   */
  public static Tensor residual(String name, Tensor x, int outChannels, int stride) {
    GraphBuilder b = x.builder();
    return b.scope(name, () -> {
      Tensor h = convBn("conv1", x, outChannels, 3, stride).relu();
      h = convBn("conv2", h, outChannels, 3, 1);
      return h.plus(shortcut(x, outChannels, stride)).relu();
    });
  }

  /**
   * ResNet's bottleneck block: conv1×1(mid)–BN–relu–conv3×3(mid, stride)–BN–relu–conv1×1(4·mid)–BN
   * plus a shortcut (projected when needed), then relu.
   */
  public static Tensor bottleneck(String name, Tensor x, int midChannels, int stride) {
    GraphBuilder b = x.builder();
    int out = 4 * midChannels;
    return b.scope(name, () -> {
      Tensor h = convBn("conv1", x, midChannels, 1, 1).relu();
      h = convBn("conv2", h, midChannels, 3, stride).relu();
      h = convBn("conv3", h, out, 1, 1);
      return h.plus(shortcut(x, out, stride)).relu();
    });
  }

  private static Tensor shortcut(Tensor x, int outChannels, int stride) {
    return stride == 1 && channels(x) == outChannels ? x : convBn("projection", x, outChannels, 1, stride);
  }

  /**
   * DenseNet's dense block (Huang et al. 2017): {@code layers} times BN–relu–conv3×3(growth), each
   * output concatenated to the block's running input, so channels grow by {@code growthRate} per
   * layer.
   */
  public static Tensor denseBlock(String name, Tensor x, int layers, int growthRate) {
    if (layers < 1 || growthRate < 1) {
      throw new AdjointException("dense block '" + name + "' needs layers >= 1 and growth >= 1, got " + layers + ", "
          + growthRate);
    }
    GraphBuilder b = x.builder();
    return b.scope(name, () -> {
      Tensor features = x;
      for (int i = 1; i <= layers; i++) {
        Tensor in = features;
        Tensor grown = b.scope("layer" + i, () -> {
          Tensor h = BatchNorm.create(b, "bn", in.dtype(), channels(in)).invoke(in).relu();
          return Conv2d.of(channels(in), growthRate, 3).padding(Padding.same()).noBias()
              .build(b, "conv", in.dtype()).invoke(h);
        });
        features = features.concat(1, grown);
      }
      return features;
    });
  }

  /** DenseNet's transition: BN–relu–conv1×1(out)–average pool 2×2 stride 2. */
  public static Tensor transition(String name, Tensor x, int outChannels) {
    GraphBuilder b = x.builder();
    return b.scope(name, () -> {
      Tensor h = BatchNorm.create(b, "bn", x.dtype(), channels(x)).invoke(x).relu();
      h = Conv2d.of(channels(x), outChannels, 1).noBias().build(b, "conv", x.dtype()).invoke(h);
      return h.avgPool2d(2, 2);
    });
  }

  /** Global average pooling to {@code [N, C]}, then a dense layer to {@code classes} logits. */
  public static Tensor classifierHead(String name, Tensor x, int classes) {
    GraphBuilder b = x.builder();
    return b.scope(name, () -> Dense.xavier(b, "dense", x.dtype(), channels(x), classes).invoke(x.globalAvgPool()));
  }

  static int channels(Tensor x) {
    if (x.rank() != 4) {
      throw new AdjointException("expected an NCHW image batch, got " + x.type() + " from " + x.node().describe());
    }
    return x.shape().dim(1);
  }
}
