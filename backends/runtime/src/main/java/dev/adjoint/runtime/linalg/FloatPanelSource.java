package dev.adjoint.runtime.linalg;

/**
 * An operand of the panel-source {@code Gemm.sgemm} that copies blocks of itself into the packed
 * layout the micro-kernel reads.
 *
 * <p>The operand is seen as lines along a depth: for the left operand op(A)[m×k] a line is a row
 * and the depth is k; for the right operand op(B)[k×n] a line is a column and the depth is again
 * k. Sources other than plain arrays (an implicit im2col matrix, for instance) let GEMM read
 * operands that never exist in memory.
 */
@FunctionalInterface
public interface FloatPanelSource {

  /**
   * Writes lines [line0, line0 + lines) at depths [depth0, depth0 + depth) into {@code dst} from
   * {@code dstOffset} on, as consecutive micro-panels of {@code width} lines each: panel q holds,
   * for each depth d in order, the values of lines line0 + q·width + 0 .. width - 1 at depth d.
   * Lines past {@code line0 + lines} in the last panel are written as zeros.
   */
  void pack(int line0, int lines, int depth0, int depth, int width, float[] dst, int dstOffset);

  /**
   * The source whose value at (line, depth) is {@code array[offset + line·lineStride +
   * depth·depthStride]}: a row-major matrix with its leading dimension as one of the strides.
   */
  static FloatPanelSource strided(float[] array, int offset, int lineStride, int depthStride) {
    return new Strided(array, offset, lineStride, depthStride);
  }

  /**
   * A plain array as an operand, which GEMM may also read in place: where a line's values at one
   * depth are contiguous ({@code lineStride == 1}, B as stored) the micro-kernel reads them
   * without a packed copy.
   */
  record Strided(float[] array, int offset, int lineStride, int depthStride)
      implements FloatPanelSource {
    @Override
    public void pack(
        int line0, int lines, int depth0, int depth, int width, float[] dst, int dstOffset) {
      FloatGemm.KERNEL.packStrided(
          array, offset + line0 * lineStride + depth0 * depthStride, lineStride, depthStride,
          lines, depth, width, dst, dstOffset);
    }

    /** Whether lines are contiguous at each depth, so panels can be read where they lie. */
    boolean readableInPlace() {
      return lineStride == 1;
    }
  }
}
