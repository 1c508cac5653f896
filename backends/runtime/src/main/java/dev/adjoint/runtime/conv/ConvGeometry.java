package dev.adjoint.runtime.conv;

/**
 * The shape of one convolution: input [n, c, h, w], weights [o, c/groups, kh, kw], output [n, o,
 * oh, ow], strides, leading padding and dilations. Positions outside the input read as zero, so
 * any output size is valid; trailing padding is whatever oh and ow imply.
 */
record ConvGeometry(
    int n, int c, int h, int w, int o, int kh, int kw,
    int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups, int oh, int ow) {

  ConvGeometry {
    if (n < 0 || c < 1 || h < 1 || w < 1 || o < 1 || kh < 1 || kw < 1 || oh < 1 || ow < 1) {
      throw new IllegalArgumentException(
          "conv2d: sizes must be positive (batch may be 0): " + this);
    }
    if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || padTop < 0 || padLeft < 0) {
      throw new IllegalArgumentException(
          "conv2d: strides and dilations must be positive and padding non-negative: " + this);
    }
    if (groups < 1 || c % groups != 0 || o % groups != 0) {
      throw new IllegalArgumentException(
          "conv2d: groups must divide the input and output channels: " + this);
    }
  }

  /** Input channels per group. */
  int cg() {
    return c / groups;
  }

  /** Output channels per group. */
  int og() {
    return o / groups;
  }

  /** The reduction length of one output value: cg·kh·kw. */
  int kernelSize() {
    return cg() * kh * kw;
  }

  int inputPlane() {
    return h * w;
  }

  int outputPlane() {
    return oh * ow;
  }

  long inputSize() {
    return (long) n * c * h * w;
  }

  long weightSize() {
    return (long) o * kernelSize();
  }

  long outputSize() {
    return (long) n * o * oh * ow;
  }

  /** True when the convolution is a plain matrix product per image: 1×1, stride 1, no padding. */
  boolean isPointwise() {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0
        && oh == h && ow == w;
  }

  /**
   * True when the input gradient is a forward convolution ({@link #transposed}): unit strides,
   * and leading padding no wider than the dilated kernel's reach, so the transposed padding is
   * not negative.
   */
  boolean hasTransposedForward() {
    return sh == 1 && sw == 1 && padTop <= (kh - 1) * dh && padLeft <= (kw - 1) * dw;
  }

  /**
   * The convolution whose forward pass is this one's input gradient at unit stride: input g[n, o,
   * oh, ow], weights w'[c, o/groups, kh, kw] (w transposed per group and flipped in both spatial
   * axes), output dx[n, c, h, w]. dx[iy] = Σ_u g[iy + padTop - u·dh]·w[u] is, with u' = kh-1-u,
   * a convolution with leading padding (kh-1)·dh - padTop; taps past the end of g read zero.
   */
  ConvGeometry transposed() {
    return new ConvGeometry(n, o, oh, ow, c, kh, kw, 1, 1, (kh - 1) * dh - padTop,
        (kw - 1) * dw - padLeft, dh, dw, groups, h, w);
  }

  void checkFits(String method, String array, int length, int offset, long size) {
    if (offset < 0 || offset + size > length) {
      throw new IllegalArgumentException(
          "conv2d " + method + ": " + array + " needs " + size + " values from offset " + offset
              + " but its array has length " + length + " (" + this + ")");
    }
  }

  @Override
  public String toString() {
    int perGroup = groups == 0 ? c : c / groups;
    return "x[" + n + "," + c + "," + h + "," + w + "] * w[" + o + "," + perGroup + "," + kh + ","
        + kw + "] -> y[" + n + "," + o + "," + oh + "," + ow + "], stride " + sh + "x" + sw
        + ", padding " + padTop + "," + padLeft + ", dilation " + dh + "x" + dw + ", groups "
        + groups;
  }
}
