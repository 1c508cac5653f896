package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.linalg.FloatPanelSource;
import dev.adjoint.runtime.linalg.Gemm;
import dev.adjoint.runtime.linalg.TileEpilogue;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * F32 convolution. The forward pass takes the direct blocked-channel path where it suits the
 * shape ({@link VectorFloatDirectConv}, switched off with {@code -Dadjoint.conv.direct=false}),
 * then the padded-plane path ({@link VectorFloatPlaneConv}, which also takes filter gradients;
 * {@code -Dadjoint.conv.plane=false}); everything else runs as implicit GEMM: the im2col matrix
 * is never stored, panel sources gather its values straight from the input while GEMM packs
 * them.
 *
 * <ul>
 *   <li>forward, per image and group: y[og × P] = w[og × K] · im2col(x)[K × P];
 *   <li>backward input at unit stride: the forward convolution of g with the flipped, transposed
 *       weights ({@link ConvGeometry#transposed}), so it takes the direct or plane path where
 *       that suits;
 *       otherwise per image and group: dcol[K × P] = wᵀ · g, then col2im adds dcol into dx (a
 *       1×1 unit-stride convolution writes dx directly);
 *   <li>backward filter, where the plane path does not take it, per group: dw[og × K] = g[og ×
 *       N·P] · im2col(x)ᵀ[N·P × K]. Small
 *       filters ({@link #MAX_SLICED_FILTER}) sum the batch in slices of {@link #IMAGES_PER_SLICE}
 *       images, one GEMM each, the slices in parallel and their sums added in order; larger ones
 *       run one parallel GEMM over the whole batch.
 * </ul>
 *
 * K = C/groups·KH·KW, P = OH·OW. Images and groups run in parallel (GEMM then runs inline) when
 * there are several; a single one runs GEMM in parallel instead. Both give the same bits.
 */
final class FloatConv {
  /** Enough independent (image, group) items to keep every thread busy without splitting GEMMs. */
  private static final int MIN_OUTER_ITEMS = 4;

  /** Whether to try the direct path: the system property adjoint.conv.direct (default true). */
  private static final boolean DIRECT_ENABLED =
      !"false".equals(System.getProperty("adjoint.conv.direct"));

  static final FloatDirectConv DIRECT =
      VectorSupport.enabled() ? new VectorFloatDirectConv() : FloatDirectConv.NONE;

  /** Whether to try the padded-plane path: the system property adjoint.conv.plane (default true). */
  private static final boolean PLANE_ENABLED =
      !"false".equals(System.getProperty("adjoint.conv.plane"));

  static final FloatDirectConv PLANE =
      VectorSupport.enabled() ? new VectorFloatPlaneConv() : FloatDirectConv.NONE;

  /** The padded-plane path's filter gradient; null where the Vector API is absent. */
  static final @Nullable FloatFilterGradient PLANE_FILTER =
      PLANE instanceof FloatFilterGradient f ? f : null;

  /**
   * Images per slice of the batch in the filter gradient: each slice is one GEMM whose depth runs
   * over its images' pixels, the slices run in parallel (each packing its own im2col panels), and
   * their sums are added in slice order. Fixed, so the bits do not depend on the thread count.
   */
  private static final int IMAGES_PER_SLICE = 4;
  /**
   * The largest filter gradient per group (og·K values) summed in slices. Larger ones have enough
   * tiles for a parallel GEMM over the whole batch, which packs each panel once and was faster on
   * the ResNet-20 layers (measured: slices win at 16·144 and 32·144 values, tie at 32·288, lose
   * at 64·288 and 64·576).
   */
  private static final int MAX_SLICED_FILTER = 8192;
  /** Weights per parallel chunk of the sum over slices. */
  private static final int SUM_CHUNK = 1 << 12;

  private static final ThreadLocal<float[]> COLUMNS = ThreadLocal.withInitial(() -> new float[0]);
  /** Pixels per block of {@link Im2colTransposed}: a multiple of 16, the transposes' width. */
  private static final int PIXELS_PER_CHUNK = 64;
  /** The lines of one chunk of {@link Im2colTransposed} as rows, before they are transposed. */
  private static final ThreadLocal<float[]> BLOCK_ROWS = ThreadLocal.withInitial(() -> new float[0]);

  private FloatConv() {}

  static void forward(
      ConvGeometry s, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff,
      @Nullable TileEpilogue epilogue) {
    if (DIRECT_ENABLED && DIRECT.suits(s)) {
      DIRECT.forward(s, x, xOff, wt, wOff, y, yOff, epilogue);
      return;
    }
    if (PLANE_ENABLED && PLANE.suits(s)) {
      PLANE.forward(s, x, xOff, wt, wOff, y, yOff, epilogue);
      return;
    }
    int p = s.outputPlane();
    int kernel = s.kernelSize();
    forEachItem(s.n() * s.groups(), item -> {
      int b = item / s.groups();
      int g = item % s.groups();
      int xBase = xOff + (b * s.c() + g * s.cg()) * s.inputPlane();
      FloatPanelSource columns =
          s.isPointwise()
              ? FloatPanelSource.strided(x, xBase, 1, s.inputPlane())
              : new Im2col(s, x, xBase);
      // GEMM's tile rows are the group's channels, its columns the image's pixels.
      TileEpilogue tiles =
          epilogue == null
              ? null
              : (outer, row, rows, col, cols) ->
                  epilogue.apply(b, g * s.og() + row, rows, col, cols);
      Gemm.sgemm(s.og(), p, kernel,
          FloatPanelSource.strided(wt, wOff + g * s.og() * kernel, kernel, 1), columns,
          y, yOff + (b * s.o() + g * s.og()) * p, p, false, tiles);
    });
  }

  static void backwardInput(
      ConvGeometry s, float[] gy, int gOff, float[] wt, int wOff, float[] dx, int dxOff) {
    if (!s.isPointwise() && s.hasTransposedForward()) {
      forward(s.transposed(), gy, gOff, transposedWeights(s, wt, wOff), 0, dx, dxOff, null);
      return;
    }
    int p = s.outputPlane();
    int kernel = s.kernelSize();
    forEachItem(s.n() * s.groups(), item -> {
      int b = item / s.groups();
      int g = item % s.groups();
      FloatPanelSource weightsTransposed =
          FloatPanelSource.strided(wt, wOff + g * s.og() * kernel, 1, kernel);
      FloatPanelSource gradient =
          FloatPanelSource.strided(gy, gOff + (b * s.o() + g * s.og()) * p, 1, p);
      int dxBase = dxOff + (b * s.c() + g * s.cg()) * s.inputPlane();
      if (s.isPointwise()) {
        Gemm.sgemm(kernel, p, s.og(), weightsTransposed, gradient, dx, dxBase, p, false);
        return;
      }
      float[] columns = columns(kernel * p);
      Gemm.sgemm(kernel, p, s.og(), weightsTransposed, gradient, columns, 0, p, false);
      Arrays.fill(dx, dxBase, dxBase + s.cg() * s.inputPlane(), 0f);
      col2im(s, columns, dx, dxBase);
    });
  }

  static void backwardFilter(
      ConvGeometry s, float[] x, int xOff, float[] gy, int gOff, float[] dwt, int dwtOff) {
    if (PLANE_ENABLED && PLANE_FILTER != null && PLANE_FILTER.suitsFilterGradient(s)) {
      PLANE_FILTER.backwardFilter(s, x, xOff, gy, gOff, dwt, dwtOff);
      return;
    }
    int kernel = s.kernelSize();
    int slices = (s.n() + IMAGES_PER_SLICE - 1) / IMAGES_PER_SLICE;
    if (slices > 1 && s.og() * kernel <= MAX_SLICED_FILTER) {
      // Slice 0 goes straight into dw, the others into partial sums added after it in order.
      int size = (int) s.weightSize();
      float[] partials = new float[(slices - 1) * size];
      Parallel.forEach(slices * s.groups(), item -> {
        int slice = item / s.groups();
        int g = item % s.groups();
        int first = slice * IMAGES_PER_SLICE;
        int images = Math.min(IMAGES_PER_SLICE, s.n() - first);
        float[] to = slice == 0 ? dwt : partials;
        int at = (slice == 0 ? dwtOff : (slice - 1) * size) + g * s.og() * kernel;
        Gemm.sgemm(s.og(), kernel, images * s.outputPlane(),
            new BatchedGradient(s, gy, gOff + first * s.o() * s.outputPlane(), g),
            new Im2colTransposed(s, x, xOff + first * (int) (s.inputSize() / s.n()), g),
            to, at, kernel, false);
      });
      int chunks = (size + SUM_CHUNK - 1) / SUM_CHUNK;
      Parallel.forEach(chunks, chunk -> {
        int from = chunk * SUM_CHUNK;
        int count = Math.min(SUM_CHUNK, size - from);
        for (int slice = 1; slice < slices; slice++) {
          StridedCopy.INSTANCE.add(partials, (slice - 1) * size + from, count, dwt, dwtOff + from);
        }
      });
      return;
    }
    int depth = s.n() * s.outputPlane();
    forEachItem(s.groups(), g -> {
      int at = dwtOff + g * s.og() * kernel;
      if (depth == 0) {
        Arrays.fill(dwt, at, at + s.og() * kernel, 0f);
        return;
      }
      Gemm.sgemm(s.og(), kernel, depth, new BatchedGradient(s, gy, gOff, g),
          new Im2colTransposed(s, x, xOff, g), dwt, at, kernel, false);
    });
  }

  /**
   * The weights of {@link ConvGeometry#transposed}: w'[C, O/groups, KH, KW] with w'[c, o, u, v] =
   * w[o, c, KH-1-u, KW-1-v] within each group.
   */
  private static float[] transposedWeights(ConvGeometry s, float[] wt, int wOff) {
    int taps = s.kh() * s.kw();
    float[] transposed = new float[(int) s.weightSize()];
    for (int g = 0; g < s.groups(); g++) {
      for (int oc = 0; oc < s.og(); oc++) {
        for (int ic = 0; ic < s.cg(); ic++) {
          int from = wOff + ((g * s.og() + oc) * s.cg() + ic) * taps;
          int to = ((g * s.cg() + ic) * s.og() + oc) * taps + taps - 1;
          for (int tap = 0; tap < taps; tap++) {
            transposed[to - tap] = wt[from + tap];
          }
        }
      }
    }
    return transposed;
  }

  /** Runs items in parallel when there are enough, else one by one with a parallel GEMM inside. */
  private static void forEachItem(int items, java.util.function.IntConsumer item) {
    if (items >= MIN_OUTER_ITEMS) {
      Parallel.forEach(items, item);
    } else {
      for (int i = 0; i < items; i++) {
        item.accept(i);
      }
    }
  }

  private static float[] columns(int size) {
    return buffer(COLUMNS, size);
  }

  private static float[] blockRows(int size) {
    return buffer(BLOCK_ROWS, size);
  }

  private static float[] buffer(ThreadLocal<float[]> buffers, int size) {
    float[] buffer = buffers.get();
    if (buffer.length < size) {
      buffer = new float[size];
      buffers.set(buffer);
    }
    return buffer;
  }

  /** dx[channel, iy, ix] += dcol[(channel, u, v), (oy, ox)] over every tap that reads the input. */
  private static void col2im(ConvGeometry s, float[] columns, float[] dx, int dxBase) {
    int p = s.outputPlane();
    int row = 0;
    for (int ic = 0; ic < s.cg(); ic++) {
      int channel = dxBase + ic * s.inputPlane();
      for (int u = 0; u < s.kh(); u++) {
        for (int v = 0; v < s.kw(); v++, row++) {
          int from = row * p;
          for (int oy = 0; oy < s.oh(); oy++) {
            int iy = oy * s.sh() - s.padTop() + u * s.dh();
            if (iy < 0 || iy >= s.h()) {
              continue;
            }
            int ix0 = v * s.dw() - s.padLeft();
            int first = firstInside(ix0, s.sw(), s.ow());
            int end = endInside(ix0, s.sw(), s.ow(), s.w());
            int to = channel + iy * s.w() + ix0;
            int src = from + oy * s.ow();
            if (s.sw() == 1) {
              StridedCopy.INSTANCE.add(columns, src + first, end - first, dx, to + first);
              continue;
            }
            for (int ox = first; ox < end; ox++) {
              dx[to + ox * s.sw()] += columns[src + ox];
            }
          }
        }
      }
    }
  }

  /** The first t ≥ 0 with start + t·step ≥ 0, capped at count. */
  static int firstInside(int start, int step, int count) {
    return start >= 0 ? 0 : Math.min(count, (-start + step - 1) / step);
  }

  /** One past the last t < count with start + t·step < limit (at least {@link #firstInside}). */
  static int endInside(int start, int step, int count, int limit) {
    if (start >= limit) {
      return 0;
    }
    return Math.min(count, (limit - 1 - start) / step + 1);
  }

  /**
   * Copies {@code count} input values x[rowBase + start + t·step] for t in [0, count) into dst,
   * with zeros where start + t·step falls outside [0, width). Runs wholly inside the row, the
   * common case, avoid the divisions.
   */
  static void copyRow(
      float[] x, int rowBase, int start, int step, int count, int width, float[] dst, int at) {
    if (step == 1) {
      StridedCopy.INSTANCE.window(x, rowBase, start, count, width, dst, at);
      return;
    }
    int first;
    int end;
    if (start >= 0 && start + (count - 1) * step < width) {
      first = 0;
      end = count;
    } else {
      first = firstInside(start, step, count);
      end = Math.max(first, endInside(start, step, count, width));
    }
    for (int t = 0; t < first; t++) {
      dst[at + t] = 0f;
    }
    if (end > first) {
      StridedCopy.INSTANCE.copy(
          x, rowBase + start + first * step, step, end - first, dst, at + first);
    }
    for (int t = end; t < count; t++) {
      dst[at + t] = 0f;
    }
  }

  /**
   * The im2col matrix of one image and group as a GEMM right operand: lines are output pixels,
   * the depth runs over (input channel, kernel row, kernel column).
   */
  private static final class Im2col implements FloatPanelSource {
    private final ConvGeometry s;
    private final float[] x;
    private final int xBase;

    Im2col(ConvGeometry s, float[] x, int xBase) {
      this.s = s;
      this.x = x;
      this.xBase = xBase;
    }

    @Override
    public void pack(int line0, int lines, int depth0, int depth, int width, float[] dst, int at) {
      // Per depth: the channel's offset and the tap's row and column shifts, computed once here
      // rather than by division in the loop over panels.
      int taps = s.kh() * s.kw();
      int[] channel = new int[depth];
      int[] rowShift = new int[depth];
      int[] colShift = new int[depth];
      for (int d = 0; d < depth; d++) {
        int k = depth0 + d;
        channel[d] = xBase + (k / taps) * s.inputPlane();
        rowShift[d] = ((k % taps) / s.kw()) * s.dh() - s.padTop();
        colShift[d] = (k % s.kw()) * s.dw() - s.padLeft();
      }
      // A panel's pixels split into runs that lie in one output row.
      int[] runStart = new int[width + 1];
      int[] runRow = new int[width];
      int[] runCol = new int[width];
      for (int panel = 0; panel < lines; panel += width) {
        int full = Math.min(width, lines - panel);
        int runs = 0;
        for (int r = 0; r < full; ) {
          int pixel = line0 + panel + r;
          int ox = pixel % s.ow();
          runStart[runs] = r;
          runRow[runs] = (pixel / s.ow()) * s.sh();
          runCol[runs] = ox * s.sw();
          runs++;
          r += Math.min(full - r, s.ow() - ox);
        }
        runStart[runs] = full;
        for (int d = 0; d < depth; d++, at += width) {
          for (int run = 0; run < runs; run++) {
            int pos = at + runStart[run];
            int count = runStart[run + 1] - runStart[run];
            int iy = runRow[run] + rowShift[d];
            if (iy < 0 || iy >= s.h()) {
              Arrays.fill(dst, pos, pos + count, 0f);
            } else {
              copyRow(x, channel[d] + iy * s.w(), runCol[run] + colShift[d], s.sw(), count,
                  s.w(), dst, pos);
            }
          }
          Arrays.fill(dst, at + full, at + width, 0f);
        }
      }
    }
  }

  /**
   * The im2col matrix of one group over the whole batch, transposed, as a GEMM right operand:
   * lines run over (input channel, kernel row, kernel column), the depth over (image, output
   * pixel).
   */
  private static final class Im2colTransposed implements FloatPanelSource {
    private final ConvGeometry s;
    private final float[] x;
    private final int groupBase;

    Im2colTransposed(ConvGeometry s, float[] x, int xOff, int group) {
      this.s = s;
      this.x = x;
      this.groupBase = xOff + group * s.cg() * s.inputPlane();
    }

    /**
     * Walks the depth in chunks of up to {@link #PIXELS_PER_CHUNK} pixels. A chunk's lines are
     * first copied as rows into a small block, one contiguous copy per line and output row the
     * chunk touches (bounds worked out once per copy), and the block is then transposed into the
     * panel (16×16 blocks in registers where the vectors have 16 lanes). Writing the panel value
     * by value instead, a strided store each, took two thirds of the filter gradient.
     */
    @Override
    public void pack(int line0, int lines, int depth0, int depth, int width, float[] dst, int at) {
      int taps = s.kh() * s.kw();
      int p = s.outputPlane();
      int imageStride = s.c() * s.inputPlane();
      int[] channel = new int[width];
      int[] rowShift = new int[width];
      int[] colShift = new int[width];
      float[] block = blockRows(width * PIXELS_PER_CHUNK);
      for (int panel = 0; panel < lines; panel += width, at += width * depth) {
        int full = Math.min(width, lines - panel);
        for (int r = 0; r < full; r++) {
          int k = line0 + panel + r;
          channel[r] = (k / taps) * s.inputPlane();
          rowShift[r] = ((k % taps) / s.kw()) * s.dh() - s.padTop();
          colShift[r] = (k % s.kw()) * s.dw() - s.padLeft();
        }
        for (int d = 0; d < depth; d += PIXELS_PER_CHUNK) {
          int count = Math.min(PIXELS_PER_CHUNK, depth - d);
          int q = depth0 + d;
          int b = q / p;
          int oy = (q % p) / s.ow();
          int ox = q % s.ow();
          for (int t = 0; t < count; ) {
            int run = Math.min(count - t, s.ow() - ox);
            int image = groupBase + b * imageStride;
            for (int r = 0; r < full; r++) {
              int iy = oy * s.sh() + rowShift[r];
              int to = r * count + t;
              if (iy < 0 || iy >= s.h()) {
                Arrays.fill(block, to, to + run, 0f);
              } else {
                copyRow(x, image + channel[r] + iy * s.w(), ox * s.sw() + colShift[r], s.sw(),
                    run, s.w(), block, to);
              }
            }
            t += run;
            ox = 0;
            if (++oy == s.oh()) {
              oy = 0;
              b++;
            }
          }
          Arrays.fill(block, full * count, width * count, 0f);
          StridedCopy.INSTANCE.transpose(block, 0, count, width, count, dst, at + d * width, width);
        }
      }
    }
  }

  /**
   * The output gradient of one group over the whole batch as a GEMM left operand: lines are the
   * group's output channels, the depth runs over (image, output pixel).
   */
  private static final class BatchedGradient implements FloatPanelSource {
    private final ConvGeometry s;
    private final float[] gy;
    private final int groupBase;

    BatchedGradient(ConvGeometry s, float[] gy, int gOff, int group) {
      this.s = s;
      this.gy = gy;
      this.groupBase = gOff + group * s.og() * s.outputPlane();
    }

    /**
     * Within one image a panel is a plain matrix (lines {@code p} apart, pixels contiguous), so
     * each image's run of pixels is packed as a strided array, by the kernel's vector packing.
     */
    @Override
    public void pack(int line0, int lines, int depth0, int depth, int width, float[] dst, int at) {
      int p = s.outputPlane();
      int imageStride = s.o() * p;
      for (int panel = 0; panel < lines; panel += width, at += width * depth) {
        int panelLines = Math.min(width, lines - panel);
        int lineBase = groupBase + (line0 + panel) * p;
        for (int d = 0; d < depth; ) {
          int b = (depth0 + d) / p;
          int pixel = (depth0 + d) % p;
          int run = Math.min(depth - d, p - pixel);
          FloatPanelSource.strided(gy, lineBase + b * imageStride + pixel, p, 1)
              .pack(0, panelLines, 0, run, width, dst, at + d * width);
          d += run;
        }
      }
    }
  }
}
