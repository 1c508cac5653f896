package dev.adjoint.runtime.linalg;

/** The micro-kernel in plain Java, for JVMs started without the Vector API module. */
final class ScalarDoubleKernel implements DoubleMicroKernel {
  private static final int ROWS = 4;
  private static final int COLS = 4;

  @Override
  public int rows() {
    return ROWS;
  }

  @Override
  public int cols() {
    return COLS;
  }

  @Override
  public int rowStep() {
    return 1;
  }

  @Override
  public void multiply(
      int rows, int depth, double[] a, int aOffset, double[] b, int bOffset, int bStride,
      double[] c, int cOffset, int ldc, boolean overwrite) {
    double[] sums = new double[ROWS * COLS];
    for (int d = 0; d < depth; d++) {
      int ad = aOffset + d * ROWS;
      int bd = bOffset + d * bStride;
      for (int r = 0; r < rows; r++) {
        double ar = a[ad + r];
        for (int j = 0; j < COLS; j++) {
          sums[r * COLS + j] = Math.fma(ar, b[bd + j], sums[r * COLS + j]);
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      int row = cOffset + r * ldc;
      for (int j = 0; j < COLS; j++) {
        c[row + j] = overwrite ? sums[r * COLS + j] : c[row + j] + sums[r * COLS + j];
      }
    }
  }
}
