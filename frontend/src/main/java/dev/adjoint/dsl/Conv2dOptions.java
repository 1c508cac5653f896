package dev.adjoint.dsl;

/**
 * The settings of {@link Tensor#conv2d(Tensor, Conv2dOptions)}: strides, padding, dilations and
 * groups, each read by the shape rule. Start from {@link #defaults()} (stride 1, valid padding,
 * dilation 1, one group) and change what differs:
 *
 * <pre>{@code
 * x.conv2d(w, Conv2dOptions.defaults().withStride(2).withPadding(Padding.same()))
 * }</pre>
 */
public record Conv2dOptions(
    int strideHeight, int strideWidth, Padding padding, int dilationHeight, int dilationWidth, int groups) {

  public static Conv2dOptions defaults() {
    return new Conv2dOptions(1, 1, Padding.valid(), 1, 1, 1);
  }

  public Conv2dOptions withStride(int stride) {
    return withStrides(stride, stride);
  }

  public Conv2dOptions withStrides(int height, int width) {
    return new Conv2dOptions(height, width, padding, dilationHeight, dilationWidth, groups);
  }

  public Conv2dOptions withPadding(Padding padding) {
    return new Conv2dOptions(strideHeight, strideWidth, padding, dilationHeight, dilationWidth, groups);
  }

  public Conv2dOptions withDilation(int dilation) {
    return withDilations(dilation, dilation);
  }

  public Conv2dOptions withDilations(int height, int width) {
    return new Conv2dOptions(strideHeight, strideWidth, padding, height, width, groups);
  }

  public Conv2dOptions withGroups(int groups) {
    return new Conv2dOptions(strideHeight, strideWidth, padding, dilationHeight, dilationWidth, groups);
  }
}
