package dev.adjoint.runtime.linalg;

import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The blocked F32 GEMM driver (the BLIS loop structure). For each block of C columns and each
 * block of the depth, tasks compute C in parallel. Where A has many row panels, tasks split the
 * rows evenly, and each thread packs what it reads itself, into its own buffers: the whole block
 * of B once per block (the first time it runs a task of that block), and each task's rows of A.
 * Nothing packed crosses cores and there is one hand-off per block; packing B once per thread
 * instead of once in all costs less than the barrier and the transfers between the cores' caches
 * it saves (measured at n = 256 on two threads: 150 µs to 137 µs). Where A has few row panels,
 * A's and B's panels are packed once in parallel into shared buffers, and tasks split the columns
 * too.
 *
 * <p>Only the depth blocks shape the arithmetic ({@link #depthBlock}): an element of C is the
 * running sum over the depth blocks, in order, of each block's fused-multiply-add chain. Every
 * other block size, the task split, the thread count and the kernel (vector or scalar) leave the
 * bits unchanged.
 */
final class FloatGemm {
  static final FloatMicroKernel KERNEL =
      VectorSupport.enabled() ? new VectorFloatKernel() : new ScalarFloatKernel();

  /** The most depth per packed block: a 12×256 panel of A and a 256×32 panel of B fit in L1. */
  static final int MAX_DEPTH_BLOCK = 256;
  /** Columns per packed block of B: at most 1 MiB, so it stays in L2 while row panels pass. */
  private static final int COLUMN_BLOCK = 1024;
  /** Below this many multiply-adds one thread does all: the pool would cost more than it saves. */
  private static final long PARALLEL_MIN_WORK = 1L << 18;
  /** Micro-panels per packing chunk. */
  private static final int PANELS_PER_PACK_CHUNK = 4;
  /**
   * Row panels per compute task at most: their packed A (192×256) stays in L2. Each task walks
   * its row panels once per micro-panel of B, which stays in L1 meanwhile: tasks much smaller than
   * this reload B from L2 for every few tiles (measured: 16% slower at n = 256).
   */
  private static final int MAX_ROW_PANELS_PER_TASK = 16;
  /**
   * Row panels per thread from which each task packs its own rows of A; with fewer, A is packed
   * once, shared, and tasks split the columns.
   */
  private static final int PRIVATE_A_PANELS_PER_THREAD = 4;
  /** Compute tasks per block wanted with a shared A, for load balance. */
  private static final int WANTED_TASKS = 16;

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);
  /** Each thread's packed rows of A for the task it runs. */
  private static final ThreadLocal<float[]> PACKED_A =
      ThreadLocal.withInitial(() -> new float[0]);
  /** Each thread's packed block of B, where tasks split only the rows. */
  private static final ThreadLocal<PrivateB> PACKED_B = ThreadLocal.withInitial(PrivateB::new);
  /** Numbers the blocks, so a thread can tell whether its packed B is the current block's. */
  private static final AtomicLong BLOCKS = new AtomicLong();
  private static final ThreadLocal<float[]> EDGE_TILE =
      ThreadLocal.withInitial(() -> new float[KERNEL.rows() * KERNEL.cols()]);

  private FloatGemm() {}

  /**
   * C[m×n] (=|+=) A·B, where a supplies op(A)[m×k] and b supplies op(B)[k×n]; then the epilogue,
   * if any, on each tile of C once its last depth block is done.
   */
  static void multiply(
      int m, int n, int k, FloatPanelSource a, FloatPanelSource b,
      float[] c, int cOffset, int ldc, boolean accumulate, @Nullable TileEpilogue epilogue) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          Arrays.fill(c, cOffset + i * ldc, cOffset + i * ldc + n, 0f);
        }
      }
      if (epilogue != null) {
        epilogue.apply(0, 0, m, 0, n);
      }
      return;
    }
    boolean parallel = (long) m * n * k >= PARALLEL_MIN_WORK && Parallel.threads() > 1;
    Workspace workspace = WORKSPACE.get();
    int depthBlock = depthBlock(k);
    for (int col0 = 0; col0 < n; col0 += COLUMN_BLOCK) {
      int cols = Math.min(COLUMN_BLOCK, n - col0);
      for (int depth0 = 0; depth0 < k; depth0 += depthBlock) {
        int depth = Math.min(depthBlock, k - depth0);
        Block block =
            new Block(workspace, a, b, m, col0, cols, depth0, depth, c, cOffset, ldc,
                !accumulate && depth0 == 0, depth0 + depth == k ? epilogue : null,
                parallel ? Parallel.threads() : 1);
        if (parallel) {
          Parallel.forEach(block.packChunks(), block::pack);
          Parallel.forEach(block.taskCount(), block::compute);
        } else {
          for (int chunk = 0; chunk < block.packChunks(); chunk++) {
            block.pack(chunk);
          }
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

  /** Shared packing buffers of the thread that called GEMM; the pool threads fill and read them. */
  private static final class Workspace {
    float[] packedA = new float[0];
    float[] packedB = new float[0];

    float[] packedA(int size) {
      if (packedA.length < size) {
        packedA = new float[size];
      }
      return packedA;
    }

    float[] packedB(int size) {
      if (packedB.length < size) {
        packedB = new float[size];
      }
      return packedB;
    }
  }

  /** A thread's packed block of B and the number of the block it belongs to. */
  private static final class PrivateB {
    long block = -1;
    float[] panels = new float[0];
  }

  /**
   * One (column block, depth block) step: the packing chunks of the shared panels (A's, then
   * B's; none where tasks pack privately), and the compute tasks, numbered by row range, then
   * column range.
   */
  private static final class Block {
    private final FloatPanelSource a;
    private final FloatPanelSource b;
    private final int rows;
    private final int col0;
    private final int cols;
    private final int depth0;
    private final int depth;
    private final float[] c;
    private final int cOffset;
    private final int ldc;
    private final boolean overwrite;
    /** Non-null only in the last depth block, where the tiles are finished. */
    private final @Nullable TileEpilogue epilogue;
    private final int mr = KERNEL.rows();
    private final int nr = KERNEL.cols();
    private final int rowPanels;
    private final int colPanels;
    /** A's panels packed once for all tasks, or null where each task packs its own rows. */
    private final float @Nullable [] sharedA;
    private final int aPackChunks;
    /** B's panels packed once for all tasks, or null where each thread packs them itself. */
    private final float @Nullable [] sharedB;
    private final long id = BLOCKS.getAndIncrement();
    /** Row panel where each row task starts, and one past the last. */
    private final int[] rowTaskStart;
    private final int panelsPerColTask;
    private final int colTasks;

    Block(
        Workspace workspace, FloatPanelSource a, FloatPanelSource b, int rows,
        int col0, int cols, int depth0, int depth, float[] c, int cOffset, int ldc,
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
      int wantedColTasks;
      if (rowPanels >= PRIVATE_A_PANELS_PER_THREAD * threads) {
        sharedA = null;
        sharedB = null;
        aPackChunks = 0;
        rowTaskStart = evenStarts(rowPanels, threads);
        wantedColTasks = 1;
      } else {
        sharedA = workspace.packedA(rowPanels * mr * depth);
        sharedB = workspace.packedB(colPanels * nr * depth);
        aPackChunks = ceilDiv(rowPanels, PANELS_PER_PACK_CHUNK);
        int panelsPerRowTask = ceilDiv(rowPanels, ceilDiv(rowPanels, MAX_ROW_PANELS_PER_TASK));
        int rowTasks = ceilDiv(rowPanels, panelsPerRowTask);
        rowTaskStart = new int[rowTasks + 1];
        Arrays.setAll(rowTaskStart, i -> Math.min(rowPanels, i * panelsPerRowTask));
        wantedColTasks = Math.min(colPanels, ceilDiv(WANTED_TASKS, rowTasks));
      }
      panelsPerColTask = ceilDiv(colPanels, wantedColTasks);
      colTasks = ceilDiv(colPanels, panelsPerColTask);
    }

    /**
     * Splits the row panels into a multiple of {@code threads} tasks of at most {@link
     * #MAX_ROW_PANELS_PER_TASK} panels whose sizes differ by at most one, so the threads finish
     * together without tasks small enough to lose B's reuse in L1.
     */
    private static int[] evenStarts(int rowPanels, int threads) {
      int tasks = threads * ceilDiv(rowPanels, threads * MAX_ROW_PANELS_PER_TASK);
      int[] starts = new int[tasks + 1];
      Arrays.setAll(starts, i -> (int) ((long) rowPanels * i / tasks));
      return starts;
    }

    int packChunks() {
      return sharedB == null ? 0 : aPackChunks + ceilDiv(colPanels, PANELS_PER_PACK_CHUNK);
    }

    void pack(int chunk) {
      float[] panelsA = sharedA;
      float[] panelsB = sharedB;
      if (panelsA == null || panelsB == null) {
        throw new IllegalStateException("no shared panels to pack in this block");
      }
      if (chunk < aPackChunks) {
        int firstPanel = chunk * PANELS_PER_PACK_CHUNK;
        int line0 = firstPanel * mr;
        int lines = Math.min(PANELS_PER_PACK_CHUNK * mr, rows - line0);
        a.pack(line0, lines, depth0, depth, mr, panelsA, firstPanel * mr * depth);
        return;
      }
      int firstPanel = (chunk - aPackChunks) * PANELS_PER_PACK_CHUNK;
      int line0 = firstPanel * nr;
      int lines = Math.min(PANELS_PER_PACK_CHUNK * nr, cols - line0);
      b.pack(col0 + line0, lines, depth0, depth, nr, panelsB, firstPanel * nr * depth);
    }

    int taskCount() {
      return (rowTaskStart.length - 1) * colTasks;
    }

    void compute(int task) {
      int rowTask = task / colTasks;
      int firstRowPanel = rowTaskStart[rowTask];
      int endRowPanel = rowTaskStart[rowTask + 1];
      int firstColPanel = (task % colTasks) * panelsPerColTask;
      int endColPanel = Math.min(colPanels, firstColPanel + panelsPerColTask);
      float[] packedB = sharedB != null ? sharedB : privateB();
      float[] packedA = sharedA;
      int aFirstPanel = 0;
      if (packedA == null) {
        int line0 = firstRowPanel * mr;
        int lines = Math.min(endRowPanel * mr, rows) - line0;
        packedA = privateA((endRowPanel - firstRowPanel) * mr * depth);
        a.pack(line0, lines, depth0, depth, mr, packedA, 0);
        aFirstPanel = firstRowPanel;
      }
      for (int colPanel = firstColPanel; colPanel < endColPanel; colPanel++) {
        int j = colPanel * nr;
        int tileCols = Math.min(nr, cols - j);
        int bAt = colPanel * nr * depth;
        for (int rowPanel = firstRowPanel; rowPanel < endRowPanel; rowPanel++) {
          int i = rowPanel * mr;
          int tileRows = Math.min(mr, rows - i);
          int at = cOffset + i * ldc + col0 + j;
          int aAt = (rowPanel - aFirstPanel) * mr * depth;
          if (tileRows == mr && tileCols == nr) {
            KERNEL.multiply(depth, packedA, aAt, packedB, bAt, c, at, ldc, overwrite);
          } else {
            float[] tile = EDGE_TILE.get();
            KERNEL.multiply(depth, packedA, aAt, packedB, bAt, tile, 0, nr, true);
            for (int r = 0; r < tileRows; r++) {
              for (int s = 0; s < tileCols; s++) {
                float sum = tile[r * nr + s];
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

    /** This thread's packed block of B, packed on the thread's first task of this block. */
    private float[] privateB() {
      PrivateB own = PACKED_B.get();
      if (own.block != id) {
        int size = colPanels * nr * depth;
        if (own.panels.length < size) {
          own.panels = new float[size];
        }
        b.pack(col0, cols, depth0, depth, nr, own.panels, 0);
        own.block = id;
      }
      return own.panels;
    }

    private static float[] privateA(int size) {
      float[] buffer = PACKED_A.get();
      if (buffer.length < size) {
        buffer = new float[size];
        PACKED_A.set(buffer);
      }
      return buffer;
    }
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }
}
