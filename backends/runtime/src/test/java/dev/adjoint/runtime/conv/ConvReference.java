package dev.adjoint.runtime.conv;

/**
 * The convolution and its two gradients straight from the definition, in double precision, one
 * seven-deep loop each: every (image, output channel, output pixel, input channel of its group,
 * kernel tap) term, skipping taps that fall into the padding. Each result comes with the sum of
 * the terms' magnitudes, which bounds the rounding error of any summation order.
 */
record ConvReference(
    int n, int c, int h, int w, int o, int kh, int kw,
    int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups, int oh, int ow) {

  int cg() {
    return c / groups;
  }

  int inputSize() {
    return n * c * h * w;
  }

  int weightSize() {
    return o * cg() * kh * kw;
  }

  int outputSize() {
    return n * o * oh * ow;
  }

  /** Calls term(xIndex, wIndex, yIndex) for every product of the convolution. */
  void forEachTerm(Term term) {
    int og = o / groups;
    for (int b = 0; b < n; b++) {
      for (int oc = 0; oc < o; oc++) {
        int group = oc / og;
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            int yIndex = ((b * o + oc) * oh + i) * ow + j;
            for (int ic = 0; ic < cg(); ic++) {
              for (int u = 0; u < kh; u++) {
                int row = i * sh - padTop + u * dh;
                if (row < 0 || row >= h) {
                  continue;
                }
                for (int v = 0; v < kw; v++) {
                  int col = j * sw - padLeft + v * dw;
                  if (col < 0 || col >= w) {
                    continue;
                  }
                  int xIndex = ((b * c + group * cg() + ic) * h + row) * w + col;
                  int wIndex = ((oc * cg() + ic) * kh + u) * kw + v;
                  term.add(xIndex, wIndex, yIndex);
                }
              }
            }
          }
        }
      }
    }
  }

  interface Term {
    void add(int xIndex, int wIndex, int yIndex);
  }

  /** {y, |terms|} for the forward pass. */
  double[][] forward(double[] x, double[] wt) {
    double[] y = new double[outputSize()];
    double[] magnitude = new double[outputSize()];
    forEachTerm((xi, wi, yi) -> {
      y[yi] += x[xi] * wt[wi];
      magnitude[yi] += Math.abs(x[xi] * wt[wi]);
    });
    return new double[][] {y, magnitude};
  }

  /** {dx, |terms|} for the input gradient. */
  double[][] backwardInput(double[] g, double[] wt) {
    double[] dx = new double[inputSize()];
    double[] magnitude = new double[inputSize()];
    forEachTerm((xi, wi, yi) -> {
      dx[xi] += g[yi] * wt[wi];
      magnitude[xi] += Math.abs(g[yi] * wt[wi]);
    });
    return new double[][] {dx, magnitude};
  }

  /** {dw, |terms|} for the weight gradient. */
  double[][] backwardFilter(double[] x, double[] g) {
    double[] dwt = new double[weightSize()];
    double[] magnitude = new double[weightSize()];
    forEachTerm((xi, wi, yi) -> {
      dwt[wi] += x[xi] * g[yi];
      magnitude[wi] += Math.abs(x[xi] * g[yi]);
    });
    return new double[][] {dwt, magnitude};
  }
}
