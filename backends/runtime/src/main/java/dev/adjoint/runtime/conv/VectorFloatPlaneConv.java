package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.linalg.TileEpilogue;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import org.jspecify.annotations.Nullable;

/**
 * F32 convolution over zero-padded copies of the input planes, on the Vector API: implicit GEMM
 * whose im2col operand is read where it lies instead of packed. Each input channel is copied once
 * into a plane {@code pitch = (OW-1)·SW + (KW-1)·DW + 1} wide, so reduction step (c, u, v) is a
 * constant shift c·plane + u·DH·pitch + v·DW of it and output position (oy, ox) sits at
 * oy·SH·pitch + ox·SW. Three forms use that ({@link PlaneKernels} holds their micro-kernels):
 *
 * <ul>
 *   <li>unit-stride forward passes (and so input gradients, which are forward passes of the
 *       flipped weights): the output is computed on the plane's own pitch, 48 consecutive
 *       positions a tile, and the positions with ox ≥ OW, (KW-1)·DW of every pitch, are dropped;
 *       the weights are packed as [group][O/8][K][8], zero rows filling the last panel;
 *   <li>strided forward passes: outer products whose 12 rows are output positions, read through
 *       a table of their places in the plane ({@link #stridedForward});
 *   <li>filter gradients: dot products along the output rows ({@link #dotProducts}) or outer
 *       products with a table of positions ({@link #outerProducts}).
 * </ul>
 *
 * <p>Each output is the sum, over the reduction's depth blocks in order (ceil(K / 256) equal
 * ones in the unit-stride forward pass, the whole reduction elsewhere), of each block's fused
 * multiply-add chain from zero; tasks split outputs, never sums, so the bits do not depend on
 * the tiling or the threads. Loaded only when {@link dev.adjoint.runtime.VectorSupport} says the
 * module is present.
 */
final class VectorFloatPlaneConv implements FloatDirectConv, FloatFilterGradient {
  private static final int LANES = PlaneKernels.LANES;
  private static final int ROWS = PlaneKernels.SHIFT_ROWS;
  private static final int COLS = PlaneKernels.SHIFT_COLS;
  /** The most reduction steps per depth block, as in GEMM. */
  private static final int MAX_DEPTH_BLOCK = 256;
  /** Compute tasks wanted per thread, for load balance where there are few images. */
  private static final int TASKS_PER_THREAD = 4;
  /**
   * The most weights per group (O/groups·K) that take this path: every tile reads all of them,
   * so they must stay in L2. Measured on ResNet-18's 3×3 layers at batch 1: even with implicit
   * GEMM at 128 channels (147,456 weights), 1.4× slower at 256, 3× at 512.
   */
  private static final int MAX_WEIGHTS = 1 << 16;
  private static final int FILTER_CHANNELS = PlaneKernels.DOT_CHANNELS;
  private static final int FILTER_STEPS = PlaneKernels.DOT_STEPS;
  /** Values per tile of the filter gradient's accumulators: one vector per (channel, step). */
  private static final int FILTER_TILE = FILTER_CHANNELS * FILTER_STEPS;
  private static final int OUTER_ROWS = PlaneKernels.OUTER_ROWS;
  private static final int OUTER_COLS = PlaneKernels.OUTER_COLS;
  /**
   * The most padded values per batch of images handled at once (16 MiB), and per image with all
   * its groups.
   */
  private static final int MAX_PADDED_VALUES = 1 << 22;

  /**
   * The calling thread's padded planes, packed weights and the filter gradient's accumulators,
   * reused from call to call.
   */
  private static final ThreadLocal<float[][]> BUFFERS =
      ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[0]});
  /** Each worker's tile of outputs for the task it runs. */
  private static final ThreadLocal<float[]> TASK_OUTPUT =
      ThreadLocal.withInitial(() -> new float[0]);

  /**
   * Layers with at most {@link #MAX_WEIGHTS} weights per group, unit-stride ones other than
   * 1×1 without padding and strided ones with kernels larger than 1×1. At 16 channels
   * (ResNet-20's first stage, K = 144) this is 2× implicit GEMM, which spends most of its time
   * packing im2col panels and fits 16 rows poorly into tiles of 12; a strided 3×3 16→32 1.9×.
   * The direct path, tried first, is faster where it applies on small planes (8², where the
   * plane's dropped columns and last tile waste a third of the work here) and even elsewhere.
   */
  @Override
  public boolean suits(ConvGeometry s) {
    boolean unitStride = s.sh() == 1 && s.sw() == 1;
    return FloatVector.SPECIES_PREFERRED.length() == LANES
        && (unitStride ? !s.isPointwise() : s.kh() * s.kw() > 1)
        && (long) s.og() * s.kernelSize() <= MAX_WEIGHTS
        && s.groups() * Layout.imageSize(s) <= MAX_PADDED_VALUES;
  }

  @Override
  public void forward(
      ConvGeometry s, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff,
      @Nullable TileEpilogue epilogue) {
    if (s.sh() != 1 || s.sw() != 1) {
      stridedForward(s, x, xOff, wt, wOff, y, yOff, epilogue);
      return;
    }
    Layout layout = Layout.of(s);
    float[][] buffers = BUFFERS.get();
    float[] weights = grow(buffers, 1, (long) s.groups() * layout.groupWeights);
    Parallel.forEach(s.groups(),
        g -> packWeights(s, wt, wOff, g, layout.panels, weights, g * layout.groupWeights));
    int imagesPerBatch = imagesPerBatch(s, (long) s.groups() * layout.imageSize);
    int batchItems = imagesPerBatch * s.groups();
    float[] input = grow(buffers, 0, (long) batchItems * layout.imageSize);
    int tasksPerItem = Math.min(layout.tiles,
        Math.max(1, ceilDiv(TASKS_PER_THREAD * Parallel.threads(), batchItems)));
    int tilesPerTask = ceilDiv(layout.tiles, tasksPerItem);
    int tasks = ceilDiv(layout.tiles, tilesPerTask);
    inPaddedBatches(s, x, xOff, layout, input, imagesPerBatch, (firstImage, images) ->
        Parallel.forEach(images * s.groups() * tasks, task -> {
          int firstTile = (task % tasks) * tilesPerTask;
          int item = firstImage * s.groups() + task / tasks;
          layout.compute(input, (task / tasks) * layout.imageSize, weights, item, firstTile,
              Math.min(layout.tiles, firstTile + tilesPerTask) - firstTile, y, yOff, epilogue);
        }));
  }

  /**
   * A strided forward pass as outer products over the padded planes: yᵀ[q, o] = Σ_k x at output
   * position q's place in the plane shifted by step k, times wᵀ[k, o]. The micro-kernel of the
   * outer-product filter gradient ({@link PlaneKernels#outerTile}) with the roles of its tables
   * swapped: its 12 rows are output positions, its depth the reduction steps, and the weights,
   * transposed to [K][o] with zero columns to a multiple of 32, are its vectors. Each tile of 12
   * positions × 32 channels is one fused-multiply-add chain per output from zero, transposed
   * into y and passed to the epilogue.
   */
  private static void stridedForward(
      ConvGeometry s, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff,
      @Nullable TileEpilogue epilogue) {
    Layout layout = Layout.of(s);
    int kernel = s.kernelSize();
    int p = s.outputPlane();
    int cols = ceilDiv(s.og(), OUTER_COLS) * OUTER_COLS;
    int colTiles = cols / OUTER_COLS;
    int[] positions = positions(s, layout);
    float[][] buffers = BUFFERS.get();
    float[] weights = grow(buffers, 1, (long) s.groups() * kernel * cols);
    Parallel.forEach(s.groups(), g -> {
      int at = g * kernel * cols;
      Arrays.fill(weights, at, at + kernel * cols, 0f);
      for (int o = 0; o < s.og(); o++) {
        int from = wOff + (g * s.og() + o) * kernel;
        for (int k = 0; k < kernel; k++) {
          weights[at + k * cols + o] = wt[from + k];
        }
      }
    });
    int imagesPerBatch = imagesPerBatch(s, (long) s.groups() * layout.imageSize);
    int batchItems = imagesPerBatch * s.groups();
    float[] input = grow(buffers, 0, (long) batchItems * layout.imageSize);
    int pixelTiles = ceilDiv(p, OUTER_ROWS);
    int perItem = pixelTiles * colTiles;
    int tasksPerItem =
        Math.min(perItem, Math.max(1, ceilDiv(TASKS_PER_THREAD * Parallel.threads(), batchItems)));
    int tilesPerTask = ceilDiv(perItem, tasksPerItem);
    int tasks = ceilDiv(perItem, tilesPerTask);
    inPaddedBatches(s, x, xOff, layout, input, imagesPerBatch, (firstImage, images) ->
        Parallel.forEach(images * s.groups() * tasks, task -> {
          int item = firstImage * s.groups() + task / tasks;
          int b = item / s.groups();
          int g = item % s.groups();
          float[] out = taskOutput(OUTER_ROWS * OUTER_COLS);
          int end = Math.min(perItem, (task % tasks + 1) * tilesPerTask);
          for (int tile = (task % tasks) * tilesPerTask; tile < end; tile++) {
            int q0 = tile / colTiles * OUTER_ROWS;
            int c0 = tile % colTiles * OUTER_COLS;
            PlaneKernels.outerTile(kernel, layout.offsets, input,
                (task / tasks) * layout.imageSize, positions, q0, weights, g * kernel * cols + c0,
                cols, out, 0, true);
            int pixels = Math.min(OUTER_ROWS, p - q0);
            int channels = Math.min(OUTER_COLS, s.og() - c0);
            int outBase = yOff + (b * s.o() + g * s.og() + c0) * p + q0;
            for (int r = 0; r < pixels; r++) {
              for (int j = 0; j < channels; j++) {
                y[outBase + j * p + r] = out[r * OUTER_COLS + j];
              }
            }
            if (epilogue != null) {
              epilogue.apply(b, g * s.og() + c0, channels, q0, pixels);
            }
          }
        }));
  }

  /** Each output position's place in the padded plane: (oy·SH)·pitch + ox·SW. */
  private static int[] positions(ConvGeometry s, Layout layout) {
    int[] positions = new int[s.outputPlane()];
    for (int q = 0; q < positions.length; q++) {
      positions[q] = (q / s.ow()) * s.sh() * layout.pitch + (q % s.ow()) * s.sw();
    }
    return positions;
  }

  /**
   * Layers with at least one image and a kernel larger than 1×1 whose weights and padded images
   * are small enough ({@link #MAX_WEIGHTS}, {@link #MAX_PADDED_VALUES}), any stride: implicit
   * GEMM spends most of their time transposing im2col panels, which neither of the two forms
   * here needs ({@link #dotProducts}, {@link #outerProducts}). A 1×1 kernel's im2col is the input
   * itself, which GEMM packs cheaply, and here making the planes cost more than the products:
   * ResNet-20's 1×1/2 projections made its training step 10 ms slower.
   */
  @Override
  public boolean suitsFilterGradient(ConvGeometry s) {
    return FloatVector.SPECIES_PREFERRED.length() == LANES
        && s.n() > 0
        && s.kh() * s.kw() > 1
        && (long) s.og() * s.kernelSize() <= MAX_WEIGHTS
        && s.groups() * Layout.imageSize(s) <= MAX_PADDED_VALUES
        && (long) s.groups() * s.outputPlane() * ceilDiv(s.og(), OUTER_COLS) * OUTER_COLS
            <= MAX_PADDED_VALUES;
  }

  @Override
  public void backwardFilter(
      ConvGeometry s, float[] x, int xOff, float[] gy, int gOff, float[] dw, int dwOff) {
    if (s.sh() == 1 && s.sw() == 1 && s.ow() % LANES == 0 && s.og() < OUTER_COLS) {
      dotProducts(s, x, xOff, gy, gOff, dw, dwOff);
    } else {
      outerProducts(s, x, xOff, gy, gOff, dw, dwOff);
    }
  }

  /**
   * The filter gradient as dot products along the output rows, for unit strides, rows of whole
   * vectors and fewer than 32 output channels per group (ResNet-20's 16-channel stage, where the
   * outer products would waste half their columns): dw[o, k] = Σ over images and output
   * positions of g[o, position] · x at the position shifted by step k. Each tile of 4
   * output channels × 6 steps keeps one vector accumulator per pair, whose lanes are partial
   * sums over the positions ≡ lane (mod 16), runs over the images in order (its accumulators
   * spilled between images, so that one image's gradient and planes stay in cache while every
   * tile reads them) and is folded lane by lane in order at the end. Tasks split the tiles, never
   * the sum, so the bits do not depend on the threads.
   */
  private static void dotProducts(
      ConvGeometry s, float[] x, int xOff, float[] gy, int gOff, float[] dw, int dwOff) {
    Layout layout = Layout.of(s);
    int kernel = s.kernelSize();
    int channelTiles = ceilDiv(s.og(), FILTER_CHANNELS);
    int stepTiles = ceilDiv(kernel, FILTER_STEPS);
    int groupTiles = channelTiles * stepTiles;
    int tiles = s.groups() * groupTiles;
    float[][] buffers = BUFFERS.get();
    float[] spill = grow(buffers, 2, (long) tiles * FILTER_TILE * LANES);
    int imagesPerBatch = imagesPerBatch(s, (long) s.groups() * layout.imageSize);
    float[] input = grow(buffers, 0, (long) imagesPerBatch * s.groups() * layout.imageSize);
    int tilesPerTask = ceilDiv(tiles, Math.min(tiles, TASKS_PER_THREAD * Parallel.threads()));
    int tasks = ceilDiv(tiles, tilesPerTask);
    inPaddedBatches(s, x, xOff, layout, input, imagesPerBatch, (first, images) ->
        Parallel.forEach(tasks, task -> {
          int end = Math.min(tiles, (task + 1) * tilesPerTask);
          for (int b = first; b < first + images; b++) {
            for (int tile = task * tilesPerTask; tile < end; tile++) {
              int g = tile / groupTiles;
              int o0 = (tile % groupTiles) / stepTiles * FILTER_CHANNELS;
              int k0 = (tile % stepTiles) * FILTER_STEPS;
              // Past the last channel or step, a tile repeats the last one; those sums are
              // dropped.
              int gBase = gOff + (b * s.o() + g * s.og()) * s.outputPlane();
              int xBase = ((b - first) * s.groups() + g) * layout.imageSize;
              PlaneKernels.dotTile(gy, gRow(s, gBase, o0, 0), gRow(s, gBase, o0, 1),
                  gRow(s, gBase, o0, 2), gRow(s, gBase, o0, 3), input,
                  xBase + layout.step(k0), xBase + layout.step(k0 + 1),
                  xBase + layout.step(k0 + 2), xBase + layout.step(k0 + 3),
                  xBase + layout.step(k0 + 4), xBase + layout.step(k0 + 5),
                  s.oh(), s.ow(), layout.pitch, spill, tile * FILTER_TILE * LANES, b == 0);
            }
          }
        }));
    Parallel.forEach(tiles, tile -> {
      int g = tile / groupTiles;
      int o0 = (tile % groupTiles) / stepTiles * FILTER_CHANNELS;
      int k0 = (tile % stepTiles) * FILTER_STEPS;
      int at = tile * FILTER_TILE * LANES;
      for (int r = 0; r < FILTER_CHANNELS && o0 + r < s.og(); r++) {
        for (int t = 0; t < FILTER_STEPS && k0 + t < kernel; t++) {
          int lanes = at + (r * FILTER_STEPS + t) * LANES;
          float sum = 0f;
          for (int lane = 0; lane < LANES; lane++) {
            sum += spill[lanes + lane];
          }
          dw[dwOff + (g * s.og() + o0 + r) * kernel + k0 + t] = sum;
        }
      }
    });
  }

  /**
   * The filter gradient as outer products, any stride: dwᵀ[k, o] = Σ over images and output
   * positions q of x at q's place in the plane shifted by step k, times g[o, q]. This is GEMM with
   * the im2col matrix read in place from the padded planes (a table holds each output position's
   * place, the layout each step's shift) and the gradient transposed per image to [q][o], zero
   * columns filling it to a multiple of 32. A tile of 12 steps × 32 channels holds 24 vector
   * accumulators of finished sums, runs over the images in order (spilled between images, so
   * that one image's planes and gradient stay in cache while every tile reads them), and tasks
   * split the tiles, never the sum: the bits do not depend on the threads.
   */
  private static void outerProducts(
      ConvGeometry s, float[] x, int xOff, float[] gy, int gOff, float[] dw, int dwOff) {
    Layout layout = Layout.of(s);
    int kernel = s.kernelSize();
    int p = s.outputPlane();
    int cols = ceilDiv(s.og(), OUTER_COLS) * OUTER_COLS;
    int colTiles = cols / OUTER_COLS;
    int groupTiles = ceilDiv(kernel, OUTER_ROWS) * colTiles;
    int tiles = s.groups() * groupTiles;
    int[] positions = positions(s, layout);
    float[][] buffers = BUFFERS.get();
    float[] spill = grow(buffers, 2, (long) tiles * OUTER_ROWS * OUTER_COLS);
    // Per image and group: its padded planes, then (after all planes) its transposed gradient.
    int imagesPerBatch =
        imagesPerBatch(s, (long) s.groups() * (layout.imageSize + (long) p * cols));
    float[] input =
        grow(buffers, 0, (long) imagesPerBatch * s.groups() * (layout.imageSize + p * cols));
    int transposedAt = imagesPerBatch * s.groups() * layout.imageSize;
    int tilesPerTask = ceilDiv(tiles, Math.min(tiles, TASKS_PER_THREAD * Parallel.threads()));
    int tasks = ceilDiv(tiles, tilesPerTask);
    inPaddedBatches(s, x, xOff, layout, input, imagesPerBatch, (first, images) -> {
      Parallel.forEach(images * s.groups(), item -> {
        int b = first + item / s.groups();
        int g = item % s.groups();
        transposeGradient(s, gy, gOff + (b * s.o() + g * s.og()) * p, cols, input,
            transposedAt + item * p * cols);
      });
      Parallel.forEach(tasks, task -> {
        int end = Math.min(tiles, (task + 1) * tilesPerTask);
        for (int b = first; b < first + images; b++) {
          for (int tile = task * tilesPerTask; tile < end; tile++) {
            int item = (b - first) * s.groups() + tile / groupTiles;
            int k0 = (tile % groupTiles) / colTiles * OUTER_ROWS;
            int c0 = (tile % colTiles) * OUTER_COLS;
            PlaneKernels.outerTile(p, positions, input, item * layout.imageSize, layout.offsets,
                k0, input, transposedAt + item * p * cols + c0, cols, spill,
                tile * OUTER_ROWS * OUTER_COLS, b == 0);
          }
        }
      });
    });
    Parallel.forEach(tiles, tile -> {
      int g = tile / groupTiles;
      int k0 = (tile % groupTiles) / colTiles * OUTER_ROWS;
      int c0 = (tile % colTiles) * OUTER_COLS;
      int at = tile * OUTER_ROWS * OUTER_COLS;
      for (int r = 0; r < OUTER_ROWS && k0 + r < kernel; r++) {
        for (int j = 0; j < OUTER_COLS && c0 + j < s.og(); j++) {
          dw[dwOff + (g * s.og() + c0 + j) * kernel + k0 + r] = spill[at + r * OUTER_COLS + j];
        }
      }
    });
  }

  /**
   * One image and group's output gradient g[o][q] as [q][cols] at {@code at}: column o holds
   * channel o, the columns past the group's channels zeros.
   */
  private static void transposeGradient(
      ConvGeometry s, float[] gy, int from, int cols, float[] dst, int at) {
    int p = s.outputPlane();
    for (int q = 0; q < p; q++) {
      Arrays.fill(dst, at + q * cols + s.og(), at + (q + 1) * cols, 0f);
    }
    for (int o = 0; o < s.og(); o++) {
      int row = from + o * p;
      for (int q = 0; q < p; q++) {
        dst[at + q * cols + o] = gy[row + q];
      }
    }
  }

  /** Where output channel o0 + r of an image's group starts in g (past the end: the last one). */
  private static int gRow(ConvGeometry s, int gBase, int o0, int r) {
    return gBase + Math.min(s.og() - 1, o0 + r) * s.outputPlane();
  }

  /**
   * The padded plane of one convolution: its pitch, the positions computed per image ({@code
   * span}, in {@code tiles} of 48), the values per padded image, the packed weights' panels and
   * the shift of each reduction step.
   */
  private record Layout(
      ConvGeometry s, int pitch, int plane, int span, int tiles, int imageSize, int panels,
      int groupWeights, int depthBlock, int[] offsets) {

    static Layout of(ConvGeometry s) {
      int pitch = (int) pitch(s);
      int plane = (int) (rows(s) * pitch);
      int span = s.oh() * pitch;
      int tiles = ceilDiv(span, COLS);
      int kernel = s.kernelSize();
      int panels = ceilDiv(s.og(), ROWS);
      int[] offsets = new int[kernel];
      for (int c = 0, k = 0; c < s.cg(); c++) {
        for (int u = 0; u < s.kh(); u++) {
          for (int v = 0; v < s.kw(); v++) {
            offsets[k++] = c * plane + u * s.dh() * pitch + v * s.dw();
          }
        }
      }
      return new Layout(s, pitch, plane, span, tiles, (int) imageSize(s), panels,
          panels * ROWS * kernel, ceilDiv(kernel, ceilDiv(kernel, MAX_DEPTH_BLOCK)), offsets);
    }

    /** The shift of reduction step k (past the last step: the last one's). */
    int step(int k) {
      return offsets[Math.min(offsets.length - 1, k)];
    }

    /**
     * The values per padded image: its planes, then a tail for the last tile, which runs past
     * the span; its reads, shifted by up to a whole plane plus (KW-1)·DW, stay inside.
     */
    static long imageSize(ConvGeometry s) {
      long pitch = pitch(s);
      long span = s.oh() * pitch;
      return s.cg() * rows(s) * pitch + (span + COLS - 1) / COLS * COLS - span
          + (long) (s.kw() - 1) * s.dw();
    }

    /** The plane's width: the input columns the output reads, from the first padded one. */
    static long pitch(ConvGeometry s) {
      return (long) (s.ow() - 1) * s.sw() + (long) (s.kw() - 1) * s.dw() + 1;
    }

    /** The plane's rows, likewise. */
    static long rows(ConvGeometry s) {
      return (long) (s.oh() - 1) * s.sh() + (long) (s.kh() - 1) * s.dh() + 1;
    }

    /**
     * Tiles [firstTile, firstTile + taskTiles) of one (image, group) item, whose padded image
     * starts at {@code imageAt}: every depth block over them into the worker's buffer, then the
     * positions inside the output rows copied to y and passed to the epilogue.
     */
    void compute(
        float[] input, int imageAt, float[] weights, int item, int firstTile, int taskTiles,
        float[] y, int yOff, @Nullable TileEpilogue epilogue) {
      int b = item / s.groups();
      int g = item % s.groups();
      int kernel = s.kernelSize();
      int ldc = taskTiles * COLS;
      float[] out = taskOutput(panels * ROWS * ldc);
      int q0 = firstTile * COLS;
      for (int k0 = 0; k0 < kernel; k0 += depthBlock) {
        int depth = Math.min(depthBlock, kernel - k0);
        for (int t = 0; t < taskTiles; t++) {
          for (int panel = 0; panel < panels; panel++) {
            PlaneKernels.shiftTile(depth, weights,
                g * groupWeights + panel * ROWS * kernel + k0 * ROWS, input,
                imageAt + q0 + t * COLS, offsets, k0, out, panel * ROWS * ldc + t * COLS, ldc,
                k0 == 0);
          }
        }
      }
      int q1 = Math.min(span, q0 + ldc);
      int outBase = yOff + (b * s.o() + g * s.og()) * s.outputPlane();
      int firstPixel = -1;
      int endPixel = 0;
      for (int oy = q0 / pitch; oy * pitch < q1; oy++) {
        int from = Math.max(0, q0 - oy * pitch);
        int to = Math.min(s.ow(), q1 - oy * pitch);
        if (from >= to) {
          continue;
        }
        int pixel = oy * s.ow() + from;
        firstPixel = firstPixel < 0 ? pixel : firstPixel;
        endPixel = pixel + to - from;
        for (int oc = 0; oc < s.og(); oc++) {
          System.arraycopy(out, oc * ldc + oy * pitch + from - q0, y,
              outBase + oc * s.outputPlane() + pixel, to - from);
        }
      }
      if (epilogue != null && firstPixel >= 0) {
        epilogue.apply(b, g * s.og(), s.og(), firstPixel, endPixel - firstPixel);
      }
    }
  }

  /** Whole images, as many as {@link #MAX_PADDED_VALUES} allows and at least one, per batch. */
  private static int imagesPerBatch(ConvGeometry s, long valuesPerImage) {
    return (int) Math.max(1, Math.min(s.n(), MAX_PADDED_VALUES / valuesPerImage));
  }

  /** What runs on one batch of images once their planes are padded. */
  private interface Batch {
    void run(int firstImage, int images);
  }

  /**
   * For each batch of {@code imagesPerBatch} whole images in order: pads their planes into
   * {@code input} in parallel, (image, group) item i of the batch at i·imageSize, then runs
   * {@code batch}. Whole images, so that a filter gradient's sums run over the images in order.
   */
  private static void inPaddedBatches(
      ConvGeometry s, float[] x, int xOff, Layout layout, float[] input, int imagesPerBatch,
      Batch batch) {
    for (int first = 0; first < s.n(); first += imagesPerBatch) {
      int firstImage = first;
      int images = Math.min(imagesPerBatch, s.n() - first);
      Parallel.forEach(images * s.groups() * s.cg(), chunk -> {
        int item = chunk / s.cg();
        packPlane(s, x, xOff, firstImage + item / s.groups(), item % s.groups(), chunk % s.cg(),
            layout, input, item * layout.imageSize);
      });
      batch.run(firstImage, images);
    }
  }

  /**
   * Copies one input channel into its padded plane of the image at {@code imageAt}; positions
   * outside the input become zero, and so does the image's tail after its last channel.
   */
  private static void packPlane(
      ConvGeometry s, float[] x, int xOff, int b, int g, int channel, Layout layout,
      float[] input, int imageAt) {
    int from = xOff + (b * s.c() + g * s.cg() + channel) * s.inputPlane();
    int pitch = layout.pitch;
    int at = imageAt + channel * layout.plane;
    if (channel == s.cg() - 1) {
      Arrays.fill(input, at + layout.plane, imageAt + layout.imageSize, 0f);
    }
    for (int row = 0; row < layout.plane / pitch; row++) {
      int rowAt = at + row * pitch;
      int iy = row - s.padTop();
      if (iy < 0 || iy >= s.h()) {
        Arrays.fill(input, rowAt, rowAt + pitch, 0f);
        continue;
      }
      // Plane columns [first, end) hold input columns [first - padLeft, end - padLeft).
      int first = Math.min(pitch, s.padLeft());
      int end = Math.max(first, Math.min(pitch, s.w() + s.padLeft()));
      Arrays.fill(input, rowAt, rowAt + first, 0f);
      if (end > first) {
        System.arraycopy(x, from + iy * s.w() + first - s.padLeft(), input, rowAt + first,
            end - first);
      }
      Arrays.fill(input, rowAt + end, rowAt + pitch, 0f);
    }
  }

  /** Packs group g's weights as [O/8][K][8], zero rows past the group's last output channel. */
  private static void packWeights(
      ConvGeometry s, float[] wt, int wOff, int g, int panels, float[] weights, int at) {
    int kernel = s.kernelSize();
    for (int panel = 0; panel < panels; panel++) {
      int panelAt = at + panel * ROWS * kernel;
      for (int r = 0; r < ROWS; r++) {
        int oc = panel * ROWS + r;
        int from = wOff + (g * s.og() + oc) * kernel;
        for (int k = 0; k < kernel; k++) {
          weights[panelAt + k * ROWS + r] = oc < s.og() ? wt[from + k] : 0f;
        }
      }
    }
  }

  private static float[] grow(float[][] buffers, int which, long size) {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "conv2d: " + size + " padded values do not fit one Java array");
    }
    if (buffers[which].length < size) {
      buffers[which] = new float[(int) size];
    }
    return buffers[which];
  }

  private static float[] taskOutput(int size) {
    float[] out = TASK_OUTPUT.get();
    if (out.length < size) {
      out = new float[size];
      TASK_OUTPUT.set(out);
    }
    return out;
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }

}
