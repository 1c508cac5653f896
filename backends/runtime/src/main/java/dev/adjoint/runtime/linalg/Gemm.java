package dev.adjoint.runtime.linalg;

import org.jspecify.annotations.Nullable;

/**
 * General matrix multiply for generated code: {@code C = op(A)·op(B)} or {@code C += op(A)·op(B)}
 * over row-major arrays, where op transposes when its flag is set.
 *
 * <p>Packed panels, a register-blocked Vector API micro-kernel (a scalar one where the module is
 * absent), and threads over fixed tiles of C. Results are bitwise identical for any thread count,
 * any run and either kernel: k is split into ceil(k / 256) blocks of equal depth (the last may be
 * shorter), and each element of C is the sum, over the blocks in order, of the block's products
 * accumulated in order with fused multiply-adds starting from zero; that sum is then added to C
 * when accumulating.
 */
public final class Gemm {
  private Gemm() {}

  /**
   * c[m×n] = op(a)[m×k]·op(b)[k×n] (or c += ... when {@code accumulate}), row-major with leading
   * dimensions lda/ldb/ldc (the row stride, in elements); op = transpose when the flag is set
   * (then a is stored k×m, b is stored n×k). Deterministic: bitwise identical results for any
   * thread count and any run.
   *
   * @throws IllegalArgumentException if a size is negative, a leading dimension is smaller than
   *     its row, or a matrix does not fit in its array
   */
  public static void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
      float[] c, int cOffset, int ldc, boolean accumulate) {
    sgemm(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate,
        null);
  }

  /**
   * The array {@code sgemm} above, then {@code epilogue} (when not null) on every tile of c as
   * soon as it is finished, by the thread that computed it (see {@link TileEpilogue}; outer is 0,
   * rows and columns index c's m×n window). With {@code accumulate} the epilogue sees the
   * accumulated values.
   */
  public static void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
      float[] c, int cOffset, int ldc, boolean accumulate, @Nullable TileEpilogue epilogue) {
    checkShapes("sgemm", transA, transB, m, n, k, a.length, aOffset, lda, b.length, bOffset, ldb,
        c.length, cOffset, ldc);
    FloatGemm.multiply(m, n, k,
        transA ? FloatPanelSource.strided(a, aOffset, 1, lda)
            : FloatPanelSource.strided(a, aOffset, lda, 1),
        transB ? FloatPanelSource.strided(b, bOffset, ldb, 1)
            : FloatPanelSource.strided(b, bOffset, 1, ldb),
        c, cOffset, ldc, accumulate, epilogue);
  }

  /** The F64 twin of the array {@code sgemm} above: same contract, same arithmetic in double. */
  public static void dgemm(
      boolean transA, boolean transB, int m, int n, int k,
      double[] a, int aOffset, int lda, double[] b, int bOffset, int ldb,
      double[] c, int cOffset, int ldc, boolean accumulate) {
    dgemm(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate,
        null);
  }

  /** The F64 twin of the array {@code sgemm} with an epilogue. */
  public static void dgemm(
      boolean transA, boolean transB, int m, int n, int k,
      double[] a, int aOffset, int lda, double[] b, int bOffset, int ldb,
      double[] c, int cOffset, int ldc, boolean accumulate, @Nullable TileEpilogue epilogue) {
    checkShapes("dgemm", transA, transB, m, n, k, a.length, aOffset, lda, b.length, bOffset, ldb,
        c.length, cOffset, ldc);
    DoubleGemm.multiply(m, n, k,
        transA ? DoublePanelSource.strided(a, aOffset, 1, lda)
            : DoublePanelSource.strided(a, aOffset, lda, 1),
        transB ? DoublePanelSource.strided(b, bOffset, ldb, 1)
            : DoublePanelSource.strided(b, bOffset, 1, ldb),
        c, cOffset, ldc, accumulate, epilogue);
  }

  /**
   * c[m×n] = A·B (or c += A·B) where the operands pack themselves: {@code a} supplies A[m×k] with
   * its rows as lines, {@code b} supplies B[k×n] with its columns as lines. This is how
   * convolution runs as an implicit GEMM without materializing im2col. Same arithmetic, and so the
   * same bits, as the array version.
   */
  public static void sgemm(
      int m, int n, int k, FloatPanelSource a, FloatPanelSource b,
      float[] c, int cOffset, int ldc, boolean accumulate) {
    sgemm(m, n, k, a, b, c, cOffset, ldc, accumulate, null);
  }

  /** The panel-source {@code sgemm} above with an epilogue, as in the array version. */
  public static void sgemm(
      int m, int n, int k, FloatPanelSource a, FloatPanelSource b,
      float[] c, int cOffset, int ldc, boolean accumulate, @Nullable TileEpilogue epilogue) {
    checkMatrix("sgemm", "c", m, n, c.length, cOffset, ldc);
    FloatGemm.multiply(m, n, k, a, b, c, cOffset, ldc, accumulate, epilogue);
  }

  /** The F64 twin of the panel-source {@code sgemm} above. */
  public static void dgemm(
      int m, int n, int k, DoublePanelSource a, DoublePanelSource b,
      double[] c, int cOffset, int ldc, boolean accumulate) {
    dgemm(m, n, k, a, b, c, cOffset, ldc, accumulate, null);
  }

  /** The F64 twin of the panel-source {@code sgemm} with an epilogue. */
  public static void dgemm(
      int m, int n, int k, DoublePanelSource a, DoublePanelSource b,
      double[] c, int cOffset, int ldc, boolean accumulate, @Nullable TileEpilogue epilogue) {
    checkMatrix("dgemm", "c", m, n, c.length, cOffset, ldc);
    DoubleGemm.multiply(m, n, k, a, b, c, cOffset, ldc, accumulate, epilogue);
  }

  private static void checkShapes(
      String name, boolean transA, boolean transB, int m, int n, int k,
      int aLength, int aOffset, int lda, int bLength, int bOffset, int ldb,
      int cLength, int cOffset, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException(
          name + ": negative size m=" + m + ", n=" + n + ", k=" + k);
    }
    if (m > 0 && n > 0 && k > 0) {
      checkMatrix(name, transA ? "a (transposed)" : "a", transA ? k : m, transA ? m : k,
          aLength, aOffset, lda);
      checkMatrix(name, transB ? "b (transposed)" : "b", transB ? n : k, transB ? k : n,
          bLength, bOffset, ldb);
    }
    checkMatrix(name, "c", m, n, cLength, cOffset, ldc);
  }

  /** Checks that a rows×cols matrix with row stride ld at offset fits in an array of length. */
  private static void checkMatrix(
      String name, String matrix, int rows, int cols, int length, int offset, int ld) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(
          name + ": negative size of " + matrix + ": " + rows + "×" + cols);
    }
    if (rows == 0 || cols == 0) {
      return;
    }
    if (ld < cols) {
      throw new IllegalArgumentException(
          name + ": leading dimension " + ld + " of " + matrix + " is less than its " + cols
              + " columns");
    }
    long last = (long) offset + (long) (rows - 1) * ld + cols - 1;
    if (offset < 0 || last >= length) {
      throw new IllegalArgumentException(
          name + ": " + matrix + " (" + rows + "×" + cols + ", leading dimension " + ld
              + ", offset " + offset + ") does not fit in an array of length " + length);
    }
  }
}
