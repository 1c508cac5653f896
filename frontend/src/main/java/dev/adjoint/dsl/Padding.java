package dev.adjoint.dsl;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Shape;
import java.util.List;

/**
 * How a convolution or pooling window pads its input: explicit sizes per side, or "same"
 * (TensorFlow's and PyTorch's rule: the output has {@code ceil(size / stride)} positions). Either is
 * resolved to {@code [top, bottom, left, right]} when the node is built, so the graph holds plain
 * numbers.
 */
public sealed interface Padding {

  /** No padding. */
  static Padding valid() {
    return new Explicit(0, 0, 0, 0);
  }

  /**
   * Per axis, {@code total = max((ceil(size/s) - 1)·s + (k - 1)·d + 1 - size, 0)}, with {@code
   * total/2} before and the rest after.
   */
  static Padding same() {
    return new Same();
  }

  /** {@code p} on every side. */
  static Padding of(int p) {
    return new Explicit(p, p, p, p);
  }

  static Padding of(int top, int bottom, int left, int right) {
    return new Explicit(top, bottom, left, right);
  }

  /**
   * {@code [top, bottom, left, right]} for an {@code [N, C, H, W]} input under a window of {@code
   * kernel}, {@code strides} and {@code dilations}, each {@code [height, width]}.
   */
  List<Integer> resolve(Shape input, int[] kernel, int[] strides, int[] dilations);

  /** The sizes as given; a negative one is reported by the shape rule, which names the node. */
  record Explicit(int top, int bottom, int left, int right) implements Padding {
    @Override
    public List<Integer> resolve(Shape input, int[] kernel, int[] strides, int[] dilations) {
      return List.of(top, bottom, left, right);
    }
  }

  /** "Same" padding; needs the input's height and width. */
  record Same() implements Padding {
    @Override
    public List<Integer> resolve(Shape input, int[] kernel, int[] strides, int[] dilations) {
      if (input.rank() != 4) {
        throw new AdjointException("same padding needs an [N, C, H, W] input, got " + input);
      }
      int[] height = split(input.dim(2), kernel[0], strides[0], dilations[0]);
      int[] width = split(input.dim(3), kernel[1], strides[1], dilations[1]);
      return List.of(height[0], height[1], width[0], width[1]);
    }

    /** {before, after} along one axis; an invalid window (stride 0, say) is left to the shape rule. */
    private static int[] split(int size, int kernel, int stride, int dilation) {
      if (kernel < 1 || stride < 1 || dilation < 1) {
        return new int[] {0, 0};
      }
      long outputs = Math.ceilDiv(size, stride);
      long total = Math.max((outputs - 1) * stride + (long) (kernel - 1) * dilation + 1 - size, 0);
      return new int[] {(int) (total / 2), (int) (total - total / 2)};
    }
  }
}
