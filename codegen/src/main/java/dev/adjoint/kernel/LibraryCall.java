package dev.adjoint.kernel;

import dev.adjoint.ir.DType;
import java.util.List;

/**
 * A parameterized library kernel: the emitters call the runtime's implementation rather than
 * generating loops. Operands are buffers at (possibly loop-dependent) offsets; sizes that depend on
 * the batch are {@link Size}s.
 */
public sealed interface LibraryCall {

  DType dtype();

  /** What the call reads. */
  List<Operand> inputs();

  /** What the call writes (entirely, unless it accumulates). */
  Operand output();

  /** A buffer from an element offset on. */
  record Operand(Buffer buffer, Index offset) {
    @Override
    public String toString() {
      return buffer.ref() + (offset.equals(Index.ZERO) ? "" : "[" + offset + "]");
    }
  }

  /**
   * {@code c = op(a)·op(b)} (or {@code c += ...}), row-major with leading dimensions lda, ldb, ldc;
   * a transposed operand is stored k×m (a) or n×k (b).
   */
  record Gemm(
      DType dtype, boolean transA, boolean transB, Size m, Size n, Size k, Operand a, int lda, Operand b, int ldb,
      Operand c, int ldc, boolean accumulate) implements LibraryCall {
    @Override
    public List<Operand> inputs() {
      return accumulate ? List.of(a, b, c) : List.of(a, b);
    }

    @Override
    public Operand output() {
      return c;
    }
  }

  /**
   * The geometry of a 2-D convolution or pooling window over NCHW arrays: input {@code [n, c, h, w]},
   * output {@code [n, o, oh, ow]} (pooling has {@code o = c}), kernel {@code kh × kw}, strides, top
   * and left padding (bottom and right are implied by the output size), dilations and groups.
   */
  record Window(
      Size n, int c, int h, int w, int o, int oh, int ow, int kh, int kw, int sh, int sw, int padTop, int padLeft,
      int dh, int dw, int groups) {
    @Override
    public String toString() {
      return "n=" + n + " c=" + c + " h=" + h + " w=" + w + " o=" + o + " oh=" + oh + " ow=" + ow + " k=" + kh + "x" + kw
          + " s=" + sh + "," + sw + " pad=" + padTop + "," + padLeft + (dh == 1 && dw == 1 ? "" : " d=" + dh + "," + dw)
          + (groups == 1 ? "" : " groups=" + groups);
    }
  }

  /** Which convolution. */
  enum ConvKind {
    /** {@code (x, w) -> y}. */
    FORWARD,
    /** {@code (g, w) -> dx}. */
    BACKWARD_INPUT,
    /** {@code (x, g) -> dw}. */
    BACKWARD_FILTER
  }

  record Conv2d(DType dtype, ConvKind kind, Operand first, Operand second, Operand output, Window window)
      implements LibraryCall {
    @Override
    public List<Operand> inputs() {
      return List.of(first, second);
    }
  }

  /** Which pooling kernel. */
  enum PoolKind {
    /** {@code (x) -> y}: window maxima. */
    MAX,
    /** {@code (x, g) -> dx}: g scattered to each window's argmax. */
    MAX_BACKWARD,
    /** {@code (x, c) -> y}: c at each window's argmax. */
    MAX_SELECT,
    /** {@code (x) -> y}: window means. */
    AVG,
    /** {@code (g) -> dx}: g shared out over each window. */
    AVG_BACKWARD
  }

  /**
   * A pooling kernel; {@code inputs} as its kind says, {@code window.o == window.c}; {@code
   * countIncludePad} only matters for the average kinds.
   */
  record Pool(DType dtype, PoolKind kind, List<Operand> inputs, Operand output, Window window, boolean countIncludePad)
      implements LibraryCall {
    public Pool {
      inputs = List.copyOf(inputs);
    }
  }
}
