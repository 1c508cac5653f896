package dev.adjoint.runtime.linalg;

import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.Arrays;

/**
 * The blocked F64 GEMM driver (the BLIS loop structure). For each block of C columns and rows and
 * each block of the depth, the operands are packed into micro-panels in parallel, then the tiles of
 * C are computed in parallel, in fixed tasks, by the micro-kernel.
 *
 * <p>Only the depth blocks shape the arithmetic ({@link #depthBlock}): an element of C is the
 * running sum over the depth blocks, in order, of each block's fused-multiply-add chain. Every
 * other block size, the task split, the thread count and the kernel (vector or scalar) leave the
 * bits unchanged.
 */
final class DoubleGemm {
  static final DoubleMicroKernel KERNEL =
      VectorSupport.enabled() ? new VectorDoubleKernel() : new ScalarDoubleKernel();

  /** The most depth per packed block: a 12×256 panel of A and a 256×32 panel of B fit in L1. */
  static final int MAX_DEPTH_BLOCK = 256;
  /** Columns per packed block of B: at most 1 MiB, so it stays in L2 while row panels pass. */
  private static final int COLUMN_BLOCK = 1024;
  /** Rows per packed block of A (2 MiB at most). */
  private static final int ROW_BLOCK = 2048;
  /** Below this many multiply-adds one thread does all: the pool would cost more than it saves. */
  private static final long PARALLEL_MIN_WORK = 1L << 18;
  /** Micro-panels per packing chunk. */
  private static final int PANELS_PER_PACK_CHUNK = 4;
  /** Row panels per compute task at most: their packed A (192×256) stays in L2. */
  private static final int MAX_ROW_PANELS_PER_TASK = 16;
  /** Compute tasks per block wanted, for load balance; fewer when there are fewer panels. */
  private static final int WANTED_TASKS = 16;

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);
  private static final ThreadLocal<double[]> EDGE_TILE =
      ThreadLocal.withInitial(() -> new double[KERNEL.rows() * KERNEL.cols()]);

  private DoubleGemm() {}

  /** C[m×n] (=|+=) A·B, where a supplies op(A)[m×k] and b supplies op(B)[k×n]. */
  static void multiply(
      int m, int n, int k, DoublePanelSource a, DoublePanelSource b,
      double[] c, int cOffset, int ldc, boolean accumulate) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          Arrays.fill(c, cOffset + i * ldc, cOffset + i * ldc + n, 0.0);
        }
      }
      return;
    }
    boolean parallel = (long) m * n * k >= PARALLEL_MIN_WORK && Parallel.threads() > 1;
    Workspace workspace = WORKSPACE.get();
    for (int col0 = 0; col0 < n; col0 += COLUMN_BLOCK) {
      int cols = Math.min(COLUMN_BLOCK, n - col0);
      for (int row0 = 0; row0 < m; row0 += ROW_BLOCK) {
        int rows = Math.min(ROW_BLOCK, m - row0);
        int depthBlock = depthBlock(k);
        for (int depth0 = 0; depth0 < k; depth0 += depthBlock) {
          int depth = Math.min(depthBlock, k - depth0);
          Block block =
              new Block(workspace, a, b, row0, rows, col0, cols, depth0, depth,
                  c, cOffset, ldc, !accumulate && depth0 == 0);
          run(parallel, block.packChunks(), block::pack);
          run(parallel, block.taskCount(), block::compute);
        }
      }
    }
  }

  /**
   * The depth of each block for a reduction of length k: k split into ceil(k / 256) blocks as
   * even as possible (the last may be shorter), so no block is a short remainder.
   */
  static int depthBlock(int k) {
    return ceilDiv(k, ceilDiv(k, MAX_DEPTH_BLOCK));
  }

  private static void run(boolean parallel, int chunks, java.util.function.IntConsumer body) {
    if (parallel) {
      Parallel.forEach(chunks, body);
    } else {
      for (int chunk = 0; chunk < chunks; chunk++) {
        body.accept(chunk);
      }
    }
  }

  /** Packing buffers of the thread that called GEMM; the pool threads fill and read them. */
  private static final class Workspace {
    double[] packedA = new double[0];
    double[] packedB = new double[0];

    double[] packedA(int size) {
      if (packedA.length < size) {
        packedA = new double[size];
      }
      return packedA;
    }

    double[] packedB(int size) {
      if (packedB.length < size) {
        packedB = new double[size];
      }
      return packedB;
    }
  }

  /** One (row block, column block, depth block) step: its packing chunks and compute tasks. */
  private static final class Block {
    private final DoublePanelSource a;
    private final DoublePanelSource b;
    private final int row0;
    private final int rows;
    private final int col0;
    private final int cols;
    private final int depth0;
    private final int depth;
    private final double[] c;
    private final int cOffset;
    private final int ldc;
    private final boolean overwrite;
    private final int mr = KERNEL.rows();
    private final int nr = KERNEL.cols();
    private final int rowPanels;
    private final int colPanels;
    private final int aPackChunks;
    private final double[] packedA;
    private final double[] packedB;
    private final int panelsPerRowTask;
    private final int rowTasks;
    private final int panelsPerColTask;
    private final int colTasks;

    Block(
        Workspace workspace, DoublePanelSource a, DoublePanelSource b,
        int row0, int rows, int col0, int cols, int depth0, int depth,
        double[] c, int cOffset, int ldc, boolean overwrite) {
      this.a = a;
      this.b = b;
      this.row0 = row0;
      this.rows = rows;
      this.col0 = col0;
      this.cols = cols;
      this.depth0 = depth0;
      this.depth = depth;
      this.c = c;
      this.cOffset = cOffset;
      this.ldc = ldc;
      this.overwrite = overwrite;
      rowPanels = ceilDiv(rows, mr);
      colPanels = ceilDiv(cols, nr);
      aPackChunks = ceilDiv(rowPanels, PANELS_PER_PACK_CHUNK);
      packedA = workspace.packedA(rowPanels * mr * depth);
      packedB = workspace.packedB(colPanels * nr * depth);
      panelsPerRowTask = ceilDiv(rowPanels, ceilDiv(rowPanels, MAX_ROW_PANELS_PER_TASK));
      rowTasks = ceilDiv(rowPanels, panelsPerRowTask);
      int wantedColTasks = Math.min(colPanels, ceilDiv(WANTED_TASKS, rowTasks));
      panelsPerColTask = ceilDiv(colPanels, wantedColTasks);
      colTasks = ceilDiv(colPanels, panelsPerColTask);
    }

    int packChunks() {
      return aPackChunks + ceilDiv(colPanels, PANELS_PER_PACK_CHUNK);
    }

    void pack(int chunk) {
      if (chunk < aPackChunks) {
        int firstPanel = chunk * PANELS_PER_PACK_CHUNK;
        int line0 = firstPanel * mr;
        int lines = Math.min(PANELS_PER_PACK_CHUNK * mr, rows - line0);
        a.pack(row0 + line0, lines, depth0, depth, mr, packedA, firstPanel * mr * depth);
      } else {
        int firstPanel = (chunk - aPackChunks) * PANELS_PER_PACK_CHUNK;
        int line0 = firstPanel * nr;
        int lines = Math.min(PANELS_PER_PACK_CHUNK * nr, cols - line0);
        b.pack(col0 + line0, lines, depth0, depth, nr, packedB, firstPanel * nr * depth);
      }
    }

    int taskCount() {
      return rowTasks * colTasks;
    }

    void compute(int task) {
      int firstRowPanel = (task / colTasks) * panelsPerRowTask;
      int endRowPanel = Math.min(rowPanels, firstRowPanel + panelsPerRowTask);
      int firstColPanel = (task % colTasks) * panelsPerColTask;
      int endColPanel = Math.min(colPanels, firstColPanel + panelsPerColTask);
      for (int colPanel = firstColPanel; colPanel < endColPanel; colPanel++) {
        int j = colPanel * nr;
        int tileCols = Math.min(nr, cols - j);
        for (int rowPanel = firstRowPanel; rowPanel < endRowPanel; rowPanel++) {
          int i = rowPanel * mr;
          int tileRows = Math.min(mr, rows - i);
          int at = cOffset + (row0 + i) * ldc + col0 + j;
          int aAt = rowPanel * mr * depth;
          int bAt = colPanel * nr * depth;
          if (tileRows == mr && tileCols == nr) {
            KERNEL.multiply(depth, packedA, aAt, packedB, bAt, c, at, ldc, overwrite);
          } else {
            double[] tile = EDGE_TILE.get();
            KERNEL.multiply(depth, packedA, aAt, packedB, bAt, tile, 0, nr, true);
            for (int r = 0; r < tileRows; r++) {
              for (int s = 0; s < tileCols; s++) {
                double sum = tile[r * nr + s];
                int to = at + r * ldc + s;
                c[to] = overwrite ? sum : c[to] + sum;
              }
            }
          }
        }
      }
    }
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }
}
