package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.linalg.TileEpilogue;
import org.jspecify.annotations.Nullable;

/**
 * Two-dimensional convolution over NCHW row-major arrays (each with an offset): the forward pass
 * and its two backward passes, for F32 and F64.
 *
 * <p>Geometry, shared by all three: input x[N,C,H,W], weights w[O,C/groups,KH,KW], output
 * y[N,O,OH,OW]; strides sh, sw; padding padTop, padLeft (bottom and right padding are implied by
 * OH and OW: positions outside the input read as zero); dilations dh, dw; groups divides C and O.
 *
 * <p>Parameter order, the same pattern in all three: the first input with all of its dimensions,
 * then the second input with the dimensions not yet given, then the convolution parameters (sh,
 * sw, padTop, padLeft, dh, dw, groups), then the output with the dimensions not yet given.
 *
 * <p>Outputs are overwritten, never accumulated into. Results are bitwise identical for any
 * thread count and any run (see {@link dev.adjoint.runtime.linalg.Gemm}); every argument is
 * checked first, so a wrong size is an {@link IllegalArgumentException} naming the geometry,
 * never an index error from inside a kernel.
 */
public final class Conv2dKernels {
  private Conv2dKernels() {}

  /** y[N,O,OH,OW] = conv(x[N,C,H,W], w[O,C/groups,KH,KW]). */
  public static void forward(
      float[] x, int xOff, int n, int c, int h, int w,
      float[] wt, int wOff, int o, int kh, int kw,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      float[] y, int yOff, int oh, int ow) {
    forward(x, xOff, n, c, h, w, wt, wOff, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups,
        y, yOff, oh, ow, null);
  }

  /**
   * The {@code forward} above, then {@code epilogue} (when not null) on every finished block of y
   * by the thread that computed it, while it is in cache (see {@link TileEpilogue}): outer is the
   * image, rows are output channels (over all groups), columns are output pixels oh·OW + ow of
   * that image. Every element of y is passed exactly once, with its final value.
   */
  public static void forward(
      float[] x, int xOff, int n, int c, int h, int w,
      float[] wt, int wOff, int o, int kh, int kw,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      float[] y, int yOff, int oh, int ow, @Nullable TileEpilogue epilogue) {
    ConvGeometry s =
        new ConvGeometry(n, c, h, w, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups, oh, ow);
    s.checkFits("forward", "x", x.length, xOff, s.inputSize());
    s.checkFits("forward", "w", wt.length, wOff, s.weightSize());
    s.checkFits("forward", "y", y.length, yOff, s.outputSize());
    FloatConv.forward(s, x, xOff, wt, wOff, y, yOff, epilogue);
  }

  /**
   * dx[N,C,H,W] = the gradient of the forward pass with respect to x, given the output gradient
   * g[N,O,OH,OW] and the weights w[O,C/groups,KH,KW].
   */
  public static void backwardInput(
      float[] g, int gOff, int n, int o, int oh, int ow,
      float[] wt, int wOff, int kh, int kw,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      float[] dx, int dxOff, int c, int h, int w) {
    ConvGeometry s =
        new ConvGeometry(n, c, h, w, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups, oh, ow);
    s.checkFits("backwardInput", "g", g.length, gOff, s.outputSize());
    s.checkFits("backwardInput", "w", wt.length, wOff, s.weightSize());
    s.checkFits("backwardInput", "dx", dx.length, dxOff, s.inputSize());
    FloatConv.backwardInput(s, g, gOff, wt, wOff, dx, dxOff);
  }

  /**
   * dw[O,C/groups,KH,KW] = the gradient of the forward pass with respect to the weights, summed
   * over the batch, given the input x[N,C,H,W] and the output gradient g[N,O,OH,OW].
   */
  public static void backwardFilter(
      float[] x, int xOff, int n, int c, int h, int w,
      float[] g, int gOff, int o, int oh, int ow,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      float[] dwt, int dwtOff, int kh, int kw) {
    ConvGeometry s =
        new ConvGeometry(n, c, h, w, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups, oh, ow);
    s.checkFits("backwardFilter", "x", x.length, xOff, s.inputSize());
    s.checkFits("backwardFilter", "g", g.length, gOff, s.outputSize());
    s.checkFits("backwardFilter", "dw", dwt.length, dwtOff, s.weightSize());
    FloatConv.backwardFilter(s, x, xOff, g, gOff, dwt, dwtOff);
  }

  /** The F64 twin of {@code forward} above. */
  public static void forward(
      double[] x, int xOff, int n, int c, int h, int w,
      double[] wt, int wOff, int o, int kh, int kw,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      double[] y, int yOff, int oh, int ow) {
    forward(x, xOff, n, c, h, w, wt, wOff, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups,
        y, yOff, oh, ow, null);
  }

  /** The F64 twin of {@code forward} with an epilogue above. */
  public static void forward(
      double[] x, int xOff, int n, int c, int h, int w,
      double[] wt, int wOff, int o, int kh, int kw,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      double[] y, int yOff, int oh, int ow, @Nullable TileEpilogue epilogue) {
    ConvGeometry s =
        new ConvGeometry(n, c, h, w, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups, oh, ow);
    s.checkFits("forward", "x", x.length, xOff, s.inputSize());
    s.checkFits("forward", "w", wt.length, wOff, s.weightSize());
    s.checkFits("forward", "y", y.length, yOff, s.outputSize());
    DoubleConv.forward(s, x, xOff, wt, wOff, y, yOff, epilogue);
  }

  /** The F64 twin of {@code backwardInput} above. */
  public static void backwardInput(
      double[] g, int gOff, int n, int o, int oh, int ow,
      double[] wt, int wOff, int kh, int kw,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      double[] dx, int dxOff, int c, int h, int w) {
    ConvGeometry s =
        new ConvGeometry(n, c, h, w, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups, oh, ow);
    s.checkFits("backwardInput", "g", g.length, gOff, s.outputSize());
    s.checkFits("backwardInput", "w", wt.length, wOff, s.weightSize());
    s.checkFits("backwardInput", "dx", dx.length, dxOff, s.inputSize());
    DoubleConv.backwardInput(s, g, gOff, wt, wOff, dx, dxOff);
  }

  /** The F64 twin of {@code backwardFilter} above. */
  public static void backwardFilter(
      double[] x, int xOff, int n, int c, int h, int w,
      double[] g, int gOff, int o, int oh, int ow,
      int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups,
      double[] dwt, int dwtOff, int kh, int kw) {
    ConvGeometry s =
        new ConvGeometry(n, c, h, w, o, kh, kw, sh, sw, padTop, padLeft, dh, dw, groups, oh, ow);
    s.checkFits("backwardFilter", "x", x.length, xOff, s.inputSize());
    s.checkFits("backwardFilter", "g", g.length, gOff, s.outputSize());
    s.checkFits("backwardFilter", "dw", dwt.length, dwtOff, s.weightSize());
    DoubleConv.backwardFilter(s, x, xOff, g, gOff, dwt, dwtOff);
  }
}
