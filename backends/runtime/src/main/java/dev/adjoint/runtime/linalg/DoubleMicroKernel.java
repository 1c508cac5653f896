package dev.adjoint.runtime.linalg;

/**
 * The innermost GEMM block: a {@link #rows()}×{@link #cols()} tile of C from one packed micro-panel
 * of A and one of B, and the packing of plain arrays into such panels.
 *
 * <p>Every implementation computes each element the same way, so results do not depend on which
 * one runs (Vector API or scalar, any vector width): the products along the depth are summed in
 * order with fused multiply-adds starting from zero, and the sum then either replaces the element
 * of C or is added to it.
 */
interface DoubleMicroKernel {
  int rows();

  int cols();

  /**
   * The row counts {@link #multiply} computes at a cost in proportion: any multiple of this up to
   * {@link #rows()}. A task whose rows end on such a multiple needs no full tile for its last rows.
   */
  int rowStep();

  /**
   * c[r][j] = (overwrite ? 0 : c[r][j]) + Σ_d a[aOffset + d·rows() + r]·b[bOffset + d·bStride +
   * j] for r < {@code rows} (a multiple of {@link #rowStep()}, at most {@link #rows()}) and j <
   * {@link #cols()} in the tile at {@code cOffset} with row stride {@code ldc}: a is a packed
   * micro-panel, b a packed one ({@code bStride} = cols()) or the columns of a row-major matrix
   * read in place ({@code bStride} its leading dimension).
   */
  void multiply(
      int rows, int depth, double[] a, int aOffset, double[] b, int bOffset, int bStride,
      double[] c, int cOffset, int ldc, boolean overwrite);

  /**
   * Packs {@code lines} lines of {@code depth} values, where the value at (line, d) is {@code
   * array[offset + line·lineStride + d·depthStride]}, into micro-panels of {@code width} lines
   * (the layout of {@link DoublePanelSource#pack}), zero-padding the last panel.
   */
  default void packStrided(
      double[] array, int offset, int lineStride, int depthStride,
      int lines, int depth, int width, double[] dst, int dstOffset) {
    int at = dstOffset;
    for (int panel = 0; panel < lines; panel += width) {
      int full = Math.min(width, lines - panel);
      int base = offset + panel * lineStride;
      for (int d = 0; d < depth; d++) {
        int from = base + d * depthStride;
        for (int r = 0; r < full; r++) {
          dst[at + r] = array[from + r * lineStride];
        }
        for (int r = full; r < width; r++) {
          dst[at + r] = 0.0;
        }
        at += width;
      }
    }
  }
}
