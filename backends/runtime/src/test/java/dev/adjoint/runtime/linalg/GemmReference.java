package dev.adjoint.runtime.linalg;

/**
 * Independent models of {@link Gemm} for tests: the product in double precision, and the exact
 * arithmetic that Gemm documents (k split into ceil(k / 256) equal blocks, a fused multiply-add
 * chain per block, the chains summed in order), computed one element at a time.
 */
final class GemmReference {
  private GemmReference() {}

  /** The block depth Gemm documents: ceil(k / 256) blocks, as even as possible. */
  static int depthBlock(int k) {
    int blocks = (k + 255) / 256;
    return blocks == 0 ? 1 : (k + blocks - 1) / blocks;
  }

  static double valueA(boolean transA, double[] a, int offset, int lda, int i, int p) {
    return transA ? a[offset + p * lda + i] : a[offset + i * lda + p];
  }

  static double valueB(boolean transB, double[] b, int offset, int ldb, int p, int j) {
    return transB ? b[offset + j * ldb + p] : b[offset + p * ldb + j];
  }

  /** The exact result Gemm documents, for F64 operands. */
  static double[] dgemm(
      boolean transA, boolean transB, int m, int n, int k,
      double[] a, int aOffset, int lda, double[] b, int bOffset, int ldb,
      double[] c, int cOffset, int ldc, boolean accumulate) {
    double[] out = c.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int at = cOffset + i * ldc + j;
        double result = accumulate ? c[at] : 0.0;
        for (int block = 0; block < k; block += depthBlock(k)) {
          double sum = 0.0;
          for (int p = block; p < Math.min(k, block + depthBlock(k)); p++) {
            sum =
                Math.fma(
                    valueA(transA, a, aOffset, lda, i, p),
                    valueB(transB, b, bOffset, ldb, p, j),
                    sum);
          }
          result = block == 0 && !accumulate ? sum : result + sum;
        }
        out[at] = result;
      }
    }
    return out;
  }

  /** The exact result Gemm documents, for F32 operands. */
  static float[] sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
      float[] c, int cOffset, int ldc, boolean accumulate) {
    float[] out = c.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int at = cOffset + i * ldc + j;
        float result = accumulate ? c[at] : 0f;
        for (int block = 0; block < k; block += depthBlock(k)) {
          float sum = 0f;
          for (int p = block; p < Math.min(k, block + depthBlock(k)); p++) {
            float x = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
            float y = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
            sum = Math.fma(x, y, sum);
          }
          result = block == 0 && !accumulate ? sum : result + sum;
        }
        out[at] = result;
      }
    }
    return out;
  }

  /**
   * The product in double precision from the textbook triple loop, and beside it the bound
   * Σ_p |a_ip·b_pj| that scales the rounding error any summation order may make.
   */
  static double[][] naive(
      boolean transA, boolean transB, int m, int n, int k,
      double[] a, int aOffset, int lda, double[] b, int bOffset, int ldb,
      double[] c, int cOffset, int ldc, boolean accumulate) {
    double[] product = c.clone();
    double[] magnitude = new double[c.length];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int at = cOffset + i * ldc + j;
        double sum = accumulate ? c[at] : 0.0;
        double abs = accumulate ? Math.abs(c[at]) : 0.0;
        for (int p = 0; p < k; p++) {
          double term =
              valueA(transA, a, aOffset, lda, i, p) * valueB(transB, b, bOffset, ldb, p, j);
          sum += term;
          abs += Math.abs(term);
        }
        product[at] = sum;
        magnitude[at] = abs;
      }
    }
    return new double[][] {product, magnitude};
  }

  static double[] toDouble(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
