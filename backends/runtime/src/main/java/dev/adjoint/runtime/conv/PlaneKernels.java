package dev.adjoint.runtime.conv;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernels of {@link VectorFloatPlaneConv}, on 512-bit vectors: each holds its tile in
 * vector accumulators that are locals (so the JIT keeps them in registers) and is written out,
 * unrolled, for that reason: a vector passed to a call that is not inlined is boxed, and then so
 * are the accumulators in the loop.
 *
 * <ul>
 *   <li>{@link #shiftTile}: 8 output channels × 48 plane positions, the input read at each
 *       reduction step's shift (unit-stride forward passes);
 *   <li>{@link #dotTile}: 4 output channels × 6 reduction steps of lane-wise partial sums along
 *       output rows (the filter gradient's dot-product form);
 *   <li>{@link #outerTile}: 12 rows × 32 columns of outer products with the rows read through a
 *       table of places in the plane (the outer-product filter gradient and strided forward
 *       passes).
 * </ul>
 */
final class PlaneKernels {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_512;
  static final int LANES = 16;
  /** {@link #shiftTile}'s output channels and plane positions (three vectors). */
  static final int SHIFT_ROWS = 8;
  static final int SHIFT_COLS = 3 * LANES;
  /** {@link #dotTile}'s output channels and reduction steps. */
  static final int DOT_CHANNELS = 4;
  static final int DOT_STEPS = 6;
  /** {@link #outerTile}'s rows and columns (two vectors). */
  static final int OUTER_ROWS = 12;
  static final int OUTER_COLS = 2 * LANES;

  private PlaneKernels() {}

  /**
   * One depth block [k0, k0 + depth) of a tile of 8 output channels × 48 plane positions: per
   * step three input vectors at the step's shift from {@code xAt} times one broadcast weight per
   * channel. The sums are stored into {@code c} (channel-major, rows {@code ldc} apart) or added
   * to what is there.
   */
  static void shiftTile(
      int depth, float[] a, int aAt, float[] x, int xAt, int[] offsets, int k0,
      float[] c, int cAt, int ldc, boolean overwrite) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector r0x0 = zero, r0x1 = zero, r0x2 = zero;
    FloatVector r1x0 = zero, r1x1 = zero, r1x2 = zero;
    FloatVector r2x0 = zero, r2x1 = zero, r2x2 = zero;
    FloatVector r3x0 = zero, r3x1 = zero, r3x2 = zero;
    FloatVector r4x0 = zero, r4x1 = zero, r4x2 = zero;
    FloatVector r5x0 = zero, r5x1 = zero, r5x2 = zero;
    FloatVector r6x0 = zero, r6x1 = zero, r6x2 = zero;
    FloatVector r7x0 = zero, r7x1 = zero, r7x2 = zero;
    for (int d = 0; d < depth; d++) {
      int at = xAt + offsets[k0 + d];
      int ad = aAt + d * SHIFT_ROWS;
      FloatVector x0 = FloatVector.fromArray(SPECIES, x, at);
      FloatVector x1 = FloatVector.fromArray(SPECIES, x, at + LANES);
      FloatVector x2 = FloatVector.fromArray(SPECIES, x, at + 2 * LANES);
      FloatVector w0 = FloatVector.broadcast(SPECIES, a[ad]);
      r0x0 = x0.fma(w0, r0x0);
      r0x1 = x1.fma(w0, r0x1);
      r0x2 = x2.fma(w0, r0x2);
      FloatVector w1 = FloatVector.broadcast(SPECIES, a[ad + 1]);
      r1x0 = x0.fma(w1, r1x0);
      r1x1 = x1.fma(w1, r1x1);
      r1x2 = x2.fma(w1, r1x2);
      FloatVector w2 = FloatVector.broadcast(SPECIES, a[ad + 2]);
      r2x0 = x0.fma(w2, r2x0);
      r2x1 = x1.fma(w2, r2x1);
      r2x2 = x2.fma(w2, r2x2);
      FloatVector w3 = FloatVector.broadcast(SPECIES, a[ad + 3]);
      r3x0 = x0.fma(w3, r3x0);
      r3x1 = x1.fma(w3, r3x1);
      r3x2 = x2.fma(w3, r3x2);
      FloatVector w4 = FloatVector.broadcast(SPECIES, a[ad + 4]);
      r4x0 = x0.fma(w4, r4x0);
      r4x1 = x1.fma(w4, r4x1);
      r4x2 = x2.fma(w4, r4x2);
      FloatVector w5 = FloatVector.broadcast(SPECIES, a[ad + 5]);
      r5x0 = x0.fma(w5, r5x0);
      r5x1 = x1.fma(w5, r5x1);
      r5x2 = x2.fma(w5, r5x2);
      FloatVector w6 = FloatVector.broadcast(SPECIES, a[ad + 6]);
      r6x0 = x0.fma(w6, r6x0);
      r6x1 = x1.fma(w6, r6x1);
      r6x2 = x2.fma(w6, r6x2);
      FloatVector w7 = FloatVector.broadcast(SPECIES, a[ad + 7]);
      r7x0 = x0.fma(w7, r7x0);
      r7x1 = x1.fma(w7, r7x1);
      r7x2 = x2.fma(w7, r7x2);
    }
    if (overwrite) {
      r0x0.intoArray(c, cAt);
      r0x1.intoArray(c, cAt + LANES);
      r0x2.intoArray(c, cAt + 2 * LANES);
      r1x0.intoArray(c, cAt + ldc);
      r1x1.intoArray(c, cAt + ldc + LANES);
      r1x2.intoArray(c, cAt + ldc + 2 * LANES);
      r2x0.intoArray(c, cAt + 2 * ldc);
      r2x1.intoArray(c, cAt + 2 * ldc + LANES);
      r2x2.intoArray(c, cAt + 2 * ldc + 2 * LANES);
      r3x0.intoArray(c, cAt + 3 * ldc);
      r3x1.intoArray(c, cAt + 3 * ldc + LANES);
      r3x2.intoArray(c, cAt + 3 * ldc + 2 * LANES);
      r4x0.intoArray(c, cAt + 4 * ldc);
      r4x1.intoArray(c, cAt + 4 * ldc + LANES);
      r4x2.intoArray(c, cAt + 4 * ldc + 2 * LANES);
      r5x0.intoArray(c, cAt + 5 * ldc);
      r5x1.intoArray(c, cAt + 5 * ldc + LANES);
      r5x2.intoArray(c, cAt + 5 * ldc + 2 * LANES);
      r6x0.intoArray(c, cAt + 6 * ldc);
      r6x1.intoArray(c, cAt + 6 * ldc + LANES);
      r6x2.intoArray(c, cAt + 6 * ldc + 2 * LANES);
      r7x0.intoArray(c, cAt + 7 * ldc);
      r7x1.intoArray(c, cAt + 7 * ldc + LANES);
      r7x2.intoArray(c, cAt + 7 * ldc + 2 * LANES);
    } else {
      r0x0.add(FloatVector.fromArray(SPECIES, c, cAt))
          .intoArray(c, cAt);
      r0x1.add(FloatVector.fromArray(SPECIES, c, cAt + LANES))
          .intoArray(c, cAt + LANES);
      r0x2.add(FloatVector.fromArray(SPECIES, c, cAt + 2 * LANES))
          .intoArray(c, cAt + 2 * LANES);
      r1x0.add(FloatVector.fromArray(SPECIES, c, cAt + ldc))
          .intoArray(c, cAt + ldc);
      r1x1.add(FloatVector.fromArray(SPECIES, c, cAt + ldc + LANES))
          .intoArray(c, cAt + ldc + LANES);
      r1x2.add(FloatVector.fromArray(SPECIES, c, cAt + ldc + 2 * LANES))
          .intoArray(c, cAt + ldc + 2 * LANES);
      r2x0.add(FloatVector.fromArray(SPECIES, c, cAt + 2 * ldc))
          .intoArray(c, cAt + 2 * ldc);
      r2x1.add(FloatVector.fromArray(SPECIES, c, cAt + 2 * ldc + LANES))
          .intoArray(c, cAt + 2 * ldc + LANES);
      r2x2.add(FloatVector.fromArray(SPECIES, c, cAt + 2 * ldc + 2 * LANES))
          .intoArray(c, cAt + 2 * ldc + 2 * LANES);
      r3x0.add(FloatVector.fromArray(SPECIES, c, cAt + 3 * ldc))
          .intoArray(c, cAt + 3 * ldc);
      r3x1.add(FloatVector.fromArray(SPECIES, c, cAt + 3 * ldc + LANES))
          .intoArray(c, cAt + 3 * ldc + LANES);
      r3x2.add(FloatVector.fromArray(SPECIES, c, cAt + 3 * ldc + 2 * LANES))
          .intoArray(c, cAt + 3 * ldc + 2 * LANES);
      r4x0.add(FloatVector.fromArray(SPECIES, c, cAt + 4 * ldc))
          .intoArray(c, cAt + 4 * ldc);
      r4x1.add(FloatVector.fromArray(SPECIES, c, cAt + 4 * ldc + LANES))
          .intoArray(c, cAt + 4 * ldc + LANES);
      r4x2.add(FloatVector.fromArray(SPECIES, c, cAt + 4 * ldc + 2 * LANES))
          .intoArray(c, cAt + 4 * ldc + 2 * LANES);
      r5x0.add(FloatVector.fromArray(SPECIES, c, cAt + 5 * ldc))
          .intoArray(c, cAt + 5 * ldc);
      r5x1.add(FloatVector.fromArray(SPECIES, c, cAt + 5 * ldc + LANES))
          .intoArray(c, cAt + 5 * ldc + LANES);
      r5x2.add(FloatVector.fromArray(SPECIES, c, cAt + 5 * ldc + 2 * LANES))
          .intoArray(c, cAt + 5 * ldc + 2 * LANES);
      r6x0.add(FloatVector.fromArray(SPECIES, c, cAt + 6 * ldc))
          .intoArray(c, cAt + 6 * ldc);
      r6x1.add(FloatVector.fromArray(SPECIES, c, cAt + 6 * ldc + LANES))
          .intoArray(c, cAt + 6 * ldc + LANES);
      r6x2.add(FloatVector.fromArray(SPECIES, c, cAt + 6 * ldc + 2 * LANES))
          .intoArray(c, cAt + 6 * ldc + 2 * LANES);
      r7x0.add(FloatVector.fromArray(SPECIES, c, cAt + 7 * ldc))
          .intoArray(c, cAt + 7 * ldc);
      r7x1.add(FloatVector.fromArray(SPECIES, c, cAt + 7 * ldc + LANES))
          .intoArray(c, cAt + 7 * ldc + LANES);
      r7x2.add(FloatVector.fromArray(SPECIES, c, cAt + 7 * ldc + 2 * LANES))
          .intoArray(c, cAt + 7 * ldc + 2 * LANES);
    }
  }

  /**
   * One image's part of a tile of the filter gradient, 4 output channels × 6 reduction steps:
   * per vector of 16 output positions in a row, the output gradient of each channel (rows
   * {@code g0..g3}) times the input at each step's shift ({@code x0..x5}), into 24 vector
   * accumulators whose lanes are partial sums. They start from the spill (zero for the first
   * image) and go back to it.
   */
  static void dotTile(
      float[] g, int g0, int g1, int g2, int g3, float[] x,
      int x0, int x1, int x2, int x3, int x4, int x5, int rows, int width, int pitch,
      float[] spill, int at, boolean first) {
    if (first) {
      Arrays.fill(spill, at, at + DOT_CHANNELS * DOT_STEPS * LANES, 0f);
    }
    FloatVector a0x0 = FloatVector.fromArray(SPECIES, spill, at + 0);
    FloatVector a0x1 = FloatVector.fromArray(SPECIES, spill, at + 16);
    FloatVector a0x2 = FloatVector.fromArray(SPECIES, spill, at + 32);
    FloatVector a0x3 = FloatVector.fromArray(SPECIES, spill, at + 48);
    FloatVector a0x4 = FloatVector.fromArray(SPECIES, spill, at + 64);
    FloatVector a0x5 = FloatVector.fromArray(SPECIES, spill, at + 80);
    FloatVector a1x0 = FloatVector.fromArray(SPECIES, spill, at + 96);
    FloatVector a1x1 = FloatVector.fromArray(SPECIES, spill, at + 112);
    FloatVector a1x2 = FloatVector.fromArray(SPECIES, spill, at + 128);
    FloatVector a1x3 = FloatVector.fromArray(SPECIES, spill, at + 144);
    FloatVector a1x4 = FloatVector.fromArray(SPECIES, spill, at + 160);
    FloatVector a1x5 = FloatVector.fromArray(SPECIES, spill, at + 176);
    FloatVector a2x0 = FloatVector.fromArray(SPECIES, spill, at + 192);
    FloatVector a2x1 = FloatVector.fromArray(SPECIES, spill, at + 208);
    FloatVector a2x2 = FloatVector.fromArray(SPECIES, spill, at + 224);
    FloatVector a2x3 = FloatVector.fromArray(SPECIES, spill, at + 240);
    FloatVector a2x4 = FloatVector.fromArray(SPECIES, spill, at + 256);
    FloatVector a2x5 = FloatVector.fromArray(SPECIES, spill, at + 272);
    FloatVector a3x0 = FloatVector.fromArray(SPECIES, spill, at + 288);
    FloatVector a3x1 = FloatVector.fromArray(SPECIES, spill, at + 304);
    FloatVector a3x2 = FloatVector.fromArray(SPECIES, spill, at + 320);
    FloatVector a3x3 = FloatVector.fromArray(SPECIES, spill, at + 336);
    FloatVector a3x4 = FloatVector.fromArray(SPECIES, spill, at + 352);
    FloatVector a3x5 = FloatVector.fromArray(SPECIES, spill, at + 368);
    // The gradient's rows are contiguous whole vectors; the input's rows are pitch apart.
    int xRow = 0;
    int col = 0;
    for (int q = 0; q < rows * width; q += LANES) {
      FloatVector gv0 = FloatVector.fromArray(SPECIES, g, g0 + q);
      FloatVector gv1 = FloatVector.fromArray(SPECIES, g, g1 + q);
      FloatVector gv2 = FloatVector.fromArray(SPECIES, g, g2 + q);
      FloatVector gv3 = FloatVector.fromArray(SPECIES, g, g3 + q);
      FloatVector x0v = FloatVector.fromArray(SPECIES, x, x0 + xRow + col);
      a0x0 = gv0.fma(x0v, a0x0);
      a1x0 = gv1.fma(x0v, a1x0);
      a2x0 = gv2.fma(x0v, a2x0);
      a3x0 = gv3.fma(x0v, a3x0);
      FloatVector x1v = FloatVector.fromArray(SPECIES, x, x1 + xRow + col);
      a0x1 = gv0.fma(x1v, a0x1);
      a1x1 = gv1.fma(x1v, a1x1);
      a2x1 = gv2.fma(x1v, a2x1);
      a3x1 = gv3.fma(x1v, a3x1);
      FloatVector x2v = FloatVector.fromArray(SPECIES, x, x2 + xRow + col);
      a0x2 = gv0.fma(x2v, a0x2);
      a1x2 = gv1.fma(x2v, a1x2);
      a2x2 = gv2.fma(x2v, a2x2);
      a3x2 = gv3.fma(x2v, a3x2);
      FloatVector x3v = FloatVector.fromArray(SPECIES, x, x3 + xRow + col);
      a0x3 = gv0.fma(x3v, a0x3);
      a1x3 = gv1.fma(x3v, a1x3);
      a2x3 = gv2.fma(x3v, a2x3);
      a3x3 = gv3.fma(x3v, a3x3);
      FloatVector x4v = FloatVector.fromArray(SPECIES, x, x4 + xRow + col);
      a0x4 = gv0.fma(x4v, a0x4);
      a1x4 = gv1.fma(x4v, a1x4);
      a2x4 = gv2.fma(x4v, a2x4);
      a3x4 = gv3.fma(x4v, a3x4);
      FloatVector x5v = FloatVector.fromArray(SPECIES, x, x5 + xRow + col);
      a0x5 = gv0.fma(x5v, a0x5);
      a1x5 = gv1.fma(x5v, a1x5);
      a2x5 = gv2.fma(x5v, a2x5);
      a3x5 = gv3.fma(x5v, a3x5);
      col += LANES;
      if (col == width) {
        col = 0;
        xRow += pitch;
      }
    }
    a0x0.intoArray(spill, at + 0);
    a0x1.intoArray(spill, at + 16);
    a0x2.intoArray(spill, at + 32);
    a0x3.intoArray(spill, at + 48);
    a0x4.intoArray(spill, at + 64);
    a0x5.intoArray(spill, at + 80);
    a1x0.intoArray(spill, at + 96);
    a1x1.intoArray(spill, at + 112);
    a1x2.intoArray(spill, at + 128);
    a1x3.intoArray(spill, at + 144);
    a1x4.intoArray(spill, at + 160);
    a1x5.intoArray(spill, at + 176);
    a2x0.intoArray(spill, at + 192);
    a2x1.intoArray(spill, at + 208);
    a2x2.intoArray(spill, at + 224);
    a2x3.intoArray(spill, at + 240);
    a2x4.intoArray(spill, at + 256);
    a2x5.intoArray(spill, at + 272);
    a3x0.intoArray(spill, at + 288);
    a3x1.intoArray(spill, at + 304);
    a3x2.intoArray(spill, at + 320);
    a3x3.intoArray(spill, at + 336);
    a3x4.intoArray(spill, at + 352);
    a3x5.intoArray(spill, at + 368);
  }

  /**
   * One image's part of a tile of the outer-product filter gradient, 12 reduction steps × 32
   * output channels: per output position, the two vectors of its transposed gradient row times
   * the input at the position's place shifted by each step (past the last step: the last one's,
   * dropped later), into 24 accumulators that start from the spill (zero for the first image)
   * and go back to it.
   */
  static void outerTile(
      int depth, int[] positions, float[] x, int xAt, int[] offsets, int k0, float[] gt, int gAt,
      int gStride, float[] spill, int at, boolean first) {
    if (first) {
      Arrays.fill(spill, at, at + OUTER_ROWS * OUTER_COLS, 0f);
    }
    int last = offsets.length - 1;
    int x0 = xAt + offsets[Math.min(last, k0 + 0)];
    int x1 = xAt + offsets[Math.min(last, k0 + 1)];
    int x2 = xAt + offsets[Math.min(last, k0 + 2)];
    int x3 = xAt + offsets[Math.min(last, k0 + 3)];
    int x4 = xAt + offsets[Math.min(last, k0 + 4)];
    int x5 = xAt + offsets[Math.min(last, k0 + 5)];
    int x6 = xAt + offsets[Math.min(last, k0 + 6)];
    int x7 = xAt + offsets[Math.min(last, k0 + 7)];
    int x8 = xAt + offsets[Math.min(last, k0 + 8)];
    int x9 = xAt + offsets[Math.min(last, k0 + 9)];
    int x10 = xAt + offsets[Math.min(last, k0 + 10)];
    int x11 = xAt + offsets[Math.min(last, k0 + 11)];
    FloatVector c0x0 = FloatVector.fromArray(SPECIES, spill, at + 0);
    FloatVector c0x1 = FloatVector.fromArray(SPECIES, spill, at + 16);
    FloatVector c1x0 = FloatVector.fromArray(SPECIES, spill, at + 32);
    FloatVector c1x1 = FloatVector.fromArray(SPECIES, spill, at + 48);
    FloatVector c2x0 = FloatVector.fromArray(SPECIES, spill, at + 64);
    FloatVector c2x1 = FloatVector.fromArray(SPECIES, spill, at + 80);
    FloatVector c3x0 = FloatVector.fromArray(SPECIES, spill, at + 96);
    FloatVector c3x1 = FloatVector.fromArray(SPECIES, spill, at + 112);
    FloatVector c4x0 = FloatVector.fromArray(SPECIES, spill, at + 128);
    FloatVector c4x1 = FloatVector.fromArray(SPECIES, spill, at + 144);
    FloatVector c5x0 = FloatVector.fromArray(SPECIES, spill, at + 160);
    FloatVector c5x1 = FloatVector.fromArray(SPECIES, spill, at + 176);
    FloatVector c6x0 = FloatVector.fromArray(SPECIES, spill, at + 192);
    FloatVector c6x1 = FloatVector.fromArray(SPECIES, spill, at + 208);
    FloatVector c7x0 = FloatVector.fromArray(SPECIES, spill, at + 224);
    FloatVector c7x1 = FloatVector.fromArray(SPECIES, spill, at + 240);
    FloatVector c8x0 = FloatVector.fromArray(SPECIES, spill, at + 256);
    FloatVector c8x1 = FloatVector.fromArray(SPECIES, spill, at + 272);
    FloatVector c9x0 = FloatVector.fromArray(SPECIES, spill, at + 288);
    FloatVector c9x1 = FloatVector.fromArray(SPECIES, spill, at + 304);
    FloatVector c10x0 = FloatVector.fromArray(SPECIES, spill, at + 320);
    FloatVector c10x1 = FloatVector.fromArray(SPECIES, spill, at + 336);
    FloatVector c11x0 = FloatVector.fromArray(SPECIES, spill, at + 352);
    FloatVector c11x1 = FloatVector.fromArray(SPECIES, spill, at + 368);
    for (int d = 0; d < depth; d++) {
      int q = positions[d];
      FloatVector lo = FloatVector.fromArray(SPECIES, gt, gAt + d * gStride);
      FloatVector hi = FloatVector.fromArray(SPECIES, gt, gAt + d * gStride + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, x[x0 + q]);
      c0x0 = lo.fma(a0, c0x0);
      c0x1 = hi.fma(a0, c0x1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, x[x1 + q]);
      c1x0 = lo.fma(a1, c1x0);
      c1x1 = hi.fma(a1, c1x1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, x[x2 + q]);
      c2x0 = lo.fma(a2, c2x0);
      c2x1 = hi.fma(a2, c2x1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, x[x3 + q]);
      c3x0 = lo.fma(a3, c3x0);
      c3x1 = hi.fma(a3, c3x1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, x[x4 + q]);
      c4x0 = lo.fma(a4, c4x0);
      c4x1 = hi.fma(a4, c4x1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, x[x5 + q]);
      c5x0 = lo.fma(a5, c5x0);
      c5x1 = hi.fma(a5, c5x1);
      FloatVector a6 = FloatVector.broadcast(SPECIES, x[x6 + q]);
      c6x0 = lo.fma(a6, c6x0);
      c6x1 = hi.fma(a6, c6x1);
      FloatVector a7 = FloatVector.broadcast(SPECIES, x[x7 + q]);
      c7x0 = lo.fma(a7, c7x0);
      c7x1 = hi.fma(a7, c7x1);
      FloatVector a8 = FloatVector.broadcast(SPECIES, x[x8 + q]);
      c8x0 = lo.fma(a8, c8x0);
      c8x1 = hi.fma(a8, c8x1);
      FloatVector a9 = FloatVector.broadcast(SPECIES, x[x9 + q]);
      c9x0 = lo.fma(a9, c9x0);
      c9x1 = hi.fma(a9, c9x1);
      FloatVector a10 = FloatVector.broadcast(SPECIES, x[x10 + q]);
      c10x0 = lo.fma(a10, c10x0);
      c10x1 = hi.fma(a10, c10x1);
      FloatVector a11 = FloatVector.broadcast(SPECIES, x[x11 + q]);
      c11x0 = lo.fma(a11, c11x0);
      c11x1 = hi.fma(a11, c11x1);
    }
    c0x0.intoArray(spill, at + 0);
    c0x1.intoArray(spill, at + 16);
    c1x0.intoArray(spill, at + 32);
    c1x1.intoArray(spill, at + 48);
    c2x0.intoArray(spill, at + 64);
    c2x1.intoArray(spill, at + 80);
    c3x0.intoArray(spill, at + 96);
    c3x1.intoArray(spill, at + 112);
    c4x0.intoArray(spill, at + 128);
    c4x1.intoArray(spill, at + 144);
    c5x0.intoArray(spill, at + 160);
    c5x1.intoArray(spill, at + 176);
    c6x0.intoArray(spill, at + 192);
    c6x1.intoArray(spill, at + 208);
    c7x0.intoArray(spill, at + 224);
    c7x1.intoArray(spill, at + 240);
    c8x0.intoArray(spill, at + 256);
    c8x1.intoArray(spill, at + 272);
    c9x0.intoArray(spill, at + 288);
    c9x1.intoArray(spill, at + 304);
    c10x0.intoArray(spill, at + 320);
    c10x1.intoArray(spill, at + 336);
    c11x0.intoArray(spill, at + 352);
    c11x1.intoArray(spill, at + 368);
  }
}
