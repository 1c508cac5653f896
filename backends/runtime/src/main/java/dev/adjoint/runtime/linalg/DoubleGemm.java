package dev.adjoint.runtime.linalg;

import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The blocked F64 GEMM driver (the BLIS loop structure). For each block of C columns and each
 * block of the depth, tasks compute tiles of C in parallel, and every thread packs what it reads
 * itself, into its own buffers: the operand that tasks share whole once per block (the first time
 * the thread runs a task of that block), the part that is the task's own once per task. Where A
 * has many row panels and B is no wider than A is tall (or read in place), tasks split the rows:
 * each thread packs the whole block of B, each task its rows of A. Otherwise tasks split the
 * columns too: each thread packs the whole block of A, each task its columns of B. Nothing packed crosses cores and there is one hand-off per block;
 * packing the shared operand once per thread costs less than the barrier and the transfers
 * between the cores' caches that packing it once in all needs (measured at n = 256 on two
 * threads: 150 µs to 137 µs). A row-major B with short rows is not packed at all: the kernel reads
 * its micro-panels in place ({@link #IN_PLACE_STRIDE_LIMIT}).
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
  /**
   * Row strides of B, in elements, below which the kernel reads B where it is stored instead of a
   * packed copy: under 2 KiB a micro-panel's 256 rows sit on few enough pages and L1 sets that
   * streaming them from L2 costs less than the copy. Measured on two threads, in place against
   * packed: n = 200 1.2–1.5×, n = 256 1.03–1.08×, n = 480 1.03–1.12×, n = 512 and 576 even, n =
   * 1024 (4 KiB rows) 0.88×.
   */
  private static final int IN_PLACE_STRIDE_LIMIT = 2048 / Double.BYTES;
  /** Below this many multiply-adds one thread does all: the pool would cost more than it saves. */
  private static final long PARALLEL_MIN_WORK = 1L << 18;
  /**
   * Row panels per compute task at most: their packed A (192×256) stays in L2. Each task walks
   * its row panels once per micro-panel of B, which stays in L1 meanwhile: tasks much smaller than
   * this reload B from L2 for every few tiles (measured: 16% slower at n = 256).
   */
  private static final int MAX_ROW_PANELS_PER_TASK = 16;
  /**
   * Row panels per thread from which tasks may split only the rows; with fewer, they split the
   * columns too.
   */
  private static final int ROW_SPLIT_PANELS_PER_THREAD = 4;
  /** Compute tasks per block wanted where tasks split the columns, for load balance. */
  private static final int WANTED_TASKS = 16;

  /** Each thread's packed operand shared by all tasks of a block. */
  private static final ThreadLocal<BlockPanels> BLOCK_PANELS =
      ThreadLocal.withInitial(BlockPanels::new);
  /** Each thread's packed part of the other operand for the task it runs. */
  private static final ThreadLocal<double[]> TASK_PANELS =
      ThreadLocal.withInitial(() -> new double[0]);
  /** Numbers the blocks, so a thread can tell whether its block panels are the current block's. */
  private static final AtomicLong BLOCKS = new AtomicLong();
  /** Each thread's packed copy of B's last, short micro-panel where B is read in place. */
  private static final ThreadLocal<double[]> EDGE_PANEL =
      ThreadLocal.withInitial(() -> new double[0]);
  private static final double[] NO_PANELS = new double[0];
  private static final ThreadLocal<double[]> EDGE_TILE =
      ThreadLocal.withInitial(() -> new double[KERNEL.rows() * KERNEL.cols()]);

  private DoubleGemm() {}

  /**
   * C[m×n] (=|+=) A·B, where a supplies op(A)[m×k] and b supplies op(B)[k×n]; then the epilogue,
   * if any, on each tile of C once its last depth block is done.
   */
  static void multiply(
      int m, int n, int k, DoublePanelSource a, DoublePanelSource b,
      double[] c, int cOffset, int ldc, boolean accumulate, @Nullable TileEpilogue epilogue) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          Arrays.fill(c, cOffset + i * ldc, cOffset + i * ldc + n, 0.0);
        }
      }
      if (epilogue != null) {
        epilogue.apply(0, 0, m, 0, n);
      }
      return;
    }
    boolean parallel = (long) m * n * k >= PARALLEL_MIN_WORK && Parallel.threads() > 1;
    int depthBlock = depthBlock(k);
    for (int col0 = 0; col0 < n; col0 += COLUMN_BLOCK) {
      int cols = Math.min(COLUMN_BLOCK, n - col0);
      for (int depth0 = 0; depth0 < k; depth0 += depthBlock) {
        int depth = Math.min(depthBlock, k - depth0);
        Block block =
            new Block(a, b, m, col0, cols, depth0, depth, c, cOffset, ldc,
                !accumulate && depth0 == 0, depth0 + depth == k ? epilogue : null,
                parallel ? Parallel.threads() : 1);
        if (parallel) {
          Parallel.forEach(block.taskCount(), block::compute);
        } else {
          for (int task = 0; task < block.taskCount(); task++) {
            block.compute(task);
          }
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

  /** A thread's packed block operand and the number of the block it belongs to. */
  private static final class BlockPanels {
    long block = -1;
    double[] panels = new double[0];
  }

  /**
   * One (column block, depth block) step: its compute tasks, numbered by row range, then column
   * range.
   */
  private static final class Block {
    private final DoublePanelSource a;
    private final DoublePanelSource b;
    private final int rows;
    private final int col0;
    private final int cols;
    private final int depth0;
    private final int depth;
    private final double[] c;
    private final int cOffset;
    private final int ldc;
    private final boolean overwrite;
    /** Non-null only in the last depth block, where the tiles are finished. */
    private final @Nullable TileEpilogue epilogue;
    private final int mr = KERNEL.rows();
    private final int nr = KERNEL.cols();
    private final int rowPanels;
    private final int colPanels;
    /** Whether tasks split only the rows (each thread packs all of B) or also the columns (A). */
    private final boolean splitRows;
    private final long id = BLOCKS.getAndIncrement();
    /** Row where each row task starts, and one past the last. */
    private final int[] rowTaskStart;
    private final int panelsPerColTask;
    private final int colTasks;
    /** B where the kernel reads it as stored, unpacked; null where it is packed. */
    private final DoublePanelSource.@Nullable Strided bInPlace;

    Block(
        DoublePanelSource a, DoublePanelSource b, int rows,
        int col0, int cols, int depth0, int depth, double[] c, int cOffset, int ldc,
        boolean overwrite, @Nullable TileEpilogue epilogue, int threads) {
      this.a = a;
      this.b = b;
      this.rows = rows;
      this.col0 = col0;
      this.cols = cols;
      this.depth0 = depth0;
      this.depth = depth;
      this.c = c;
      this.cOffset = cOffset;
      this.ldc = ldc;
      this.overwrite = overwrite;
      this.epilogue = epilogue;
      rowPanels = ceilDiv(rows, mr);
      colPanels = ceilDiv(cols, nr);
      bInPlace =
          b instanceof DoublePanelSource.Strided s
                  && s.readableInPlace() && s.depthStride() < IN_PLACE_STRIDE_LIMIT
              ? s : null;
      // Splitting only the rows has every thread pack all of B, splitting the columns all of A:
      // where B is packed and the wider, the columns duplicate less (an im2col B of 784 pixels
      // against 128 channels: 1.26–1.5× on two threads).
      splitRows =
          rowPanels >= ROW_SPLIT_PANELS_PER_THREAD * threads
              && (threads == 1 || bInPlace != null || rows >= cols);
      int wantedColTasks;
      if (splitRows) {
        rowTaskStart = evenStarts(rows, rowPanels, threads);
        wantedColTasks = 1;
      } else {
        // Row tasks start on whole panels here: the thread's packed A covers all rows.
        int panelsPerRowTask = ceilDiv(rowPanels, ceilDiv(rowPanels, MAX_ROW_PANELS_PER_TASK));
        int rowTasks = ceilDiv(rowPanels, panelsPerRowTask);
        rowTaskStart = new int[rowTasks + 1];
        Arrays.setAll(rowTaskStart, i -> Math.min(rows, i * panelsPerRowTask * mr));
        wantedColTasks = Math.min(colPanels, ceilDiv(WANTED_TASKS, rowTasks));
      }
      panelsPerColTask = ceilDiv(colPanels, wantedColTasks);
      colTasks = ceilDiv(colPanels, panelsPerColTask);
    }

    /**
     * Splits the rows into a multiple of {@code threads} tasks of at most {@link
     * #MAX_ROW_PANELS_PER_TASK} panels, as even as the kernel's row step allows, so the threads
     * finish together without tasks small enough to lose B's reuse in L1. Each task's last tile
     * may be short (256 rows on two threads: 10 full tiles and one of 8 rows each, not 11 and
     * 10⅓ where tasks end on whole panels).
     */
    private static int[] evenStarts(int rows, int rowPanels, int threads) {
      int tasks = threads * ceilDiv(rowPanels, threads * MAX_ROW_PANELS_PER_TASK);
      int step = KERNEL.rowStep();
      int[] starts = new int[tasks + 1];
      Arrays.setAll(starts, i -> i == tasks ? rows : (int) ((long) rows * i / tasks) / step * step);
      return starts;
    }

    int taskCount() {
      return (rowTaskStart.length - 1) * colTasks;
    }

    void compute(int task) {
      int rowTask = task / colTasks;
      int firstRow = rowTaskStart[rowTask];
      int endRow = rowTaskStart[rowTask + 1];
      int firstColPanel = (task % colTasks) * panelsPerColTask;
      int endColPanel = Math.min(colPanels, firstColPanel + panelsPerColTask);
      double[] packedA;
      double[] packedB = NO_PANELS;
      int aFirstRow;
      int bFirstPanel = 0;
      if (splitRows) {
        if (bInPlace == null) {
          packedB = blockPanels(b, col0, cols, nr);
        }
        packedA = taskPanels(ceilDiv(endRow - firstRow, mr) * mr * depth);
        a.pack(firstRow, endRow - firstRow, depth0, depth, mr, packedA, 0);
        aFirstRow = firstRow;
      } else {
        packedA = blockPanels(a, 0, rows, mr);
        aFirstRow = 0;
        if (bInPlace == null) {
          int line0 = firstColPanel * nr;
          packedB = taskPanels((endColPanel - firstColPanel) * nr * depth);
          b.pack(col0 + line0, Math.min(endColPanel * nr, cols) - line0, depth0, depth, nr,
              packedB, 0);
          bFirstPanel = firstColPanel;
        }
      }
      for (int colPanel = firstColPanel; colPanel < endColPanel; colPanel++) {
        int j = colPanel * nr;
        int tileCols = Math.min(nr, cols - j);
        double[] panelB = packedB;
        int bAt = (colPanel - bFirstPanel) * nr * depth;
        int bStride = nr;
        if (bInPlace != null && tileCols == nr) {
          panelB = bInPlace.array();
          bStride = bInPlace.depthStride();
          bAt = bInPlace.offset() + col0 + j + depth0 * bStride;
        } else if (bInPlace != null) {
          // The last columns, short of a panel: in place the kernel would read past them.
          panelB = edgePanel(nr * depth);
          b.pack(col0 + j, tileCols, depth0, depth, nr, panelB, 0);
          bAt = 0;
        }
        for (int i = firstRow; i < endRow; i += mr) {
          int tileRows = Math.min(mr, endRow - i);
          int at = cOffset + i * ldc + col0 + j;
          int aAt = (i - aFirstRow) * depth;
          if (tileCols == nr && tileRows % KERNEL.rowStep() == 0) {
            KERNEL.multiply(
                tileRows, depth, packedA, aAt, panelB, bAt, bStride, c, at, ldc, overwrite);
          } else {
            double[] tile = EDGE_TILE.get();
            KERNEL.multiply(mr, depth, packedA, aAt, panelB, bAt, bStride, tile, 0, nr, true);
            for (int r = 0; r < tileRows; r++) {
              for (int s = 0; s < tileCols; s++) {
                double sum = tile[r * nr + s];
                int to = at + r * ldc + s;
                c[to] = overwrite ? sum : c[to] + sum;
              }
            }
          }
          if (epilogue != null) {
            epilogue.apply(0, i, tileRows, col0 + j, tileCols);
          }
        }
      }
    }

    /**
     * This thread's packing of lines [line0, line0 + lines) of the operand that all tasks of this
     * block share, in panels of {@code width}; packed on the thread's first task of the block.
     */
    private double[] blockPanels(DoublePanelSource source, int line0, int lines, int width) {
      BlockPanels own = BLOCK_PANELS.get();
      if (own.block != id) {
        int size = ceilDiv(lines, width) * width * depth;
        if (own.panels.length < size) {
          own.panels = new double[size];
        }
        source.pack(line0, lines, depth0, depth, width, own.panels, 0);
        own.block = id;
      }
      return own.panels;
    }

    private static double[] taskPanels(int size) {
      return buffer(TASK_PANELS, size);
    }

    private static double[] edgePanel(int size) {
      return buffer(EDGE_PANEL, size);
    }

    private static double[] buffer(ThreadLocal<double[]> own, int size) {
      double[] buffer = own.get();
      if (buffer.length < size) {
        buffer = new double[size];
        own.set(buffer);
      }
      return buffer;
    }
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }
}
