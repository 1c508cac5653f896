package dev.adjoint.runtime.linalg;

/**
 * An elementwise epilogue (bias add, batch-norm affine, activation, residual add, any elementwise
 * chain) applied in place to finished parts of a kernel's output, by the thread that computed
 * them, while they are in cache, instead of in a second pass over the whole output.
 *
 * <p>The contract, for every kernel that takes one:
 *
 * <ul>
 *   <li>{@link #apply} is called once per finished tile: after the tile's last depth block, so it
 *       sees the final values (with {@code accumulate}, the accumulated ones);
 *   <li>the tiles cover every element of the output exactly once;
 *   <li>calls come concurrently from several threads, on disjoint tiles, in no fixed order: an
 *       epilogue must write only the elements of its tile and read nothing another tile writes.
 * </ul>
 *
 * An epilogue that computes each element from that element alone (and from inputs the kernel does
 * not write) therefore gives bitwise the same result as running it afterwards over the output.
 */
@FunctionalInterface
public interface TileEpilogue {
  /**
   * Transforms one finished tile in place.
   *
   * <p>For GEMM: outer is 0; the tile is rows [row, row + rows) and columns [col, col + cols) of
   * C. For convolution forward: outer is the image n; rows are output channels [row, row + rows)
   * (over all groups), columns are output pixels [col, col + cols) in row-major (oh, ow) order,
   * i.e. the flat index oh·OW + ow.
   */
  void apply(int outer, int row, int rows, int col, int cols);
}
