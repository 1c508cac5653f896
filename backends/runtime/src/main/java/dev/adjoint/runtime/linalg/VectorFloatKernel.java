package dev.adjoint.runtime.linalg;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel: a tile of 12 (on 512-bit vectors, with 32 registers) or 6 rows by
 * two vectors of columns. The accumulators are locals, which the JIT keeps in vector registers;
 * each depth step loads two vectors of B, broadcasts one value of A per row and issues one fused
 * multiply-add per accumulator. Only loaded when {@link dev.adjoint.runtime.VectorSupport} says
 * the module is present.
 */
final class VectorFloatKernel implements FloatMicroKernel {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int ROWS = SPECIES.vectorBitSize() >= 512 ? 12 : 6;
  /** Whether a 12-row panel of A can be packed by transposing 16×16 blocks in registers. */
  private static final boolean TRANSPOSE_PANELS = FloatTransposes.SUITS && ROWS == 12;
  /** Stand-ins for the setup a packing path does not use. */
  private static final int[] NO_INDEXES = new int[0];
  private static final float[] NO_VALUES = new float[0];

  @Override
  public int rows() {
    return ROWS;
  }

  @Override
  public int cols() {
    return 2 * LANES;
  }

  /** Four on 512-bit vectors, where 8- and 4-row kernels exist; the full tile elsewhere. */
  @Override
  public int rowStep() {
    return ROWS == 12 ? 4 : ROWS;
  }

  @Override
  public void multiply(
      int rows, int depth, float[] a, int aOffset, float[] b, int bOffset, int bStride,
      float[] c, int cOffset, int ldc, boolean overwrite) {
    switch (rows) {
      case 12 -> multiply12(depth, a, aOffset, b, bOffset, bStride, c, cOffset, ldc, overwrite);
      case 8 -> multiply8(depth, a, aOffset, b, bOffset, bStride, c, cOffset, ldc, overwrite);
      case 4 -> multiply4(depth, a, aOffset, b, bOffset, bStride, c, cOffset, ldc, overwrite);
      case 6 -> multiply6(depth, a, aOffset, b, bOffset, bStride, c, cOffset, ldc, overwrite);
      default -> throw new IllegalArgumentException(
          "micro-kernel: " + rows + " rows is not a multiple of " + rowStep() + " up to " + ROWS);
    }
  }

  /**
   * Vector copies where a line's values are contiguous ({@code lineStride == 1}, B as stored),
   * gathers where they are strided ({@code depthStride == 1}, A as stored): read as one flat
   * sequence, a full panel repeats its index pattern every lcm(width, lanes) values.
   */
  @Override
  public void packStrided(
      float[] array, int offset, int lineStride, int depthStride,
      int lines, int depth, int width, float[] dst, int dstOffset) {
    boolean copyRows = lineStride == 1 && width == 2 * LANES;
    boolean gather = depthStride == 1 && lineStride != 1;
    if (!copyRows && !gather) {
      FloatMicroKernel.super.packStrided(
          array, offset, lineStride, depthStride, lines, depth, width, dst, dstOffset);
      return;
    }
    // Each path's setup once per call, not per panel: the gathers' index map, the scratch.
    boolean transpose = gather && TRANSPOSE_PANELS && width == ROWS;
    int period = width / gcd(width, LANES) * LANES;
    int[] indexMap = copyRows || transpose ? NO_INDEXES : gatherIndexes(period, width, lineStride);
    float[] scratch = transpose ? FloatTransposes.scratch() : NO_VALUES;
    int at = dstOffset;
    for (int panel = 0; panel < lines; panel += width) {
      int base = offset + panel * lineStride;
      if (lines - panel < width) {
        FloatMicroKernel.super.packStrided(
            array, base, lineStride, depthStride, lines - panel, depth, width, dst, at);
      } else if (copyRows) {
        for (int d = 0; d < depth; d++) {
          int from = base + d * depthStride;
          FloatVector.fromArray(SPECIES, array, from).intoArray(dst, at + d * width);
          FloatVector.fromArray(SPECIES, array, from + LANES)
              .intoArray(dst, at + d * width + LANES);
        }
      } else if (transpose) {
        int d = 0;
        for (; d + LANES <= depth; d += LANES) {
          FloatTransposes.transpose16(
              array, base + d, lineStride, ROWS, dst, at + d * width, ROWS, scratch);
        }
        FloatMicroKernel.super.packStrided(
            array, base + d, lineStride, depthStride, width, depth - d, width, dst, at + d * width);
      } else {
        int total = width * depth;
        int q = 0;
        for (int d = 0; q + period <= total; q += period, d += period / width) {
          for (int v = 0; v < period; v += LANES) {
            FloatVector.fromArray(SPECIES, array, base + d, indexMap, v)
                .intoArray(dst, at + q + v);
          }
        }
        for (; q < total; q++) {
          dst[at + q] = array[base + (q % width) * lineStride + q / width];
        }
      }
      at += width * depth;
    }
  }

  /** The gathers' offsets over one period: value q of a panel is line q % width, depth q / width. */
  private static int[] gatherIndexes(int period, int width, int lineStride) {
    int[] indexMap = new int[period];
    for (int q = 0; q < period; q++) {
      indexMap[q] = (q % width) * lineStride + q / width;
    }
    return indexMap;
  }

  private static int gcd(int x, int y) {
    return y == 0 ? x : gcd(y, x % y);
  }

  private static void multiply12(
      int depth, float[] a, int aOffset, float[] b, int bOffset, int bStride,
      float[] c, int cOffset, int ldc, boolean overwrite) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector lo0 = zero, hi0 = zero;
    FloatVector lo1 = zero, hi1 = zero;
    FloatVector lo2 = zero, hi2 = zero;
    FloatVector lo3 = zero, hi3 = zero;
    FloatVector lo4 = zero, hi4 = zero;
    FloatVector lo5 = zero, hi5 = zero;
    FloatVector lo6 = zero, hi6 = zero;
    FloatVector lo7 = zero, hi7 = zero;
    FloatVector lo8 = zero, hi8 = zero;
    FloatVector lo9 = zero, hi9 = zero;
    FloatVector lo10 = zero, hi10 = zero;
    FloatVector lo11 = zero, hi11 = zero;
    for (int d = 0; d < depth; d++) {
      int ad = aOffset + d * 12;
      int bd = bOffset + d * bStride;
      FloatVector bLo = FloatVector.fromArray(SPECIES, b, bd);
      FloatVector bHi = FloatVector.fromArray(SPECIES, b, bd + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ad]);
      lo0 = bLo.fma(a0, lo0);
      hi0 = bHi.fma(a0, hi0);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ad + 1]);
      lo1 = bLo.fma(a1, lo1);
      hi1 = bHi.fma(a1, hi1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ad + 2]);
      lo2 = bLo.fma(a2, lo2);
      hi2 = bHi.fma(a2, hi2);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ad + 3]);
      lo3 = bLo.fma(a3, lo3);
      hi3 = bHi.fma(a3, hi3);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ad + 4]);
      lo4 = bLo.fma(a4, lo4);
      hi4 = bHi.fma(a4, hi4);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ad + 5]);
      lo5 = bLo.fma(a5, lo5);
      hi5 = bHi.fma(a5, hi5);
      FloatVector a6 = FloatVector.broadcast(SPECIES, a[ad + 6]);
      lo6 = bLo.fma(a6, lo6);
      hi6 = bHi.fma(a6, hi6);
      FloatVector a7 = FloatVector.broadcast(SPECIES, a[ad + 7]);
      lo7 = bLo.fma(a7, lo7);
      hi7 = bHi.fma(a7, hi7);
      FloatVector a8 = FloatVector.broadcast(SPECIES, a[ad + 8]);
      lo8 = bLo.fma(a8, lo8);
      hi8 = bHi.fma(a8, hi8);
      FloatVector a9 = FloatVector.broadcast(SPECIES, a[ad + 9]);
      lo9 = bLo.fma(a9, lo9);
      hi9 = bHi.fma(a9, hi9);
      FloatVector a10 = FloatVector.broadcast(SPECIES, a[ad + 10]);
      lo10 = bLo.fma(a10, lo10);
      hi10 = bHi.fma(a10, hi10);
      FloatVector a11 = FloatVector.broadcast(SPECIES, a[ad + 11]);
      lo11 = bLo.fma(a11, lo11);
      hi11 = bHi.fma(a11, hi11);
    }
    // Stored here, not in a helper: a vector passed to a call that is not inlined is boxed,
    // and the JIT then boxes the accumulators on every iteration of the loop above.
    if (overwrite) {
      lo0.intoArray(c, cOffset);
      hi0.intoArray(c, cOffset + LANES);
      lo1.intoArray(c, cOffset + ldc);
      hi1.intoArray(c, cOffset + ldc + LANES);
      lo2.intoArray(c, cOffset + 2 * ldc);
      hi2.intoArray(c, cOffset + 2 * ldc + LANES);
      lo3.intoArray(c, cOffset + 3 * ldc);
      hi3.intoArray(c, cOffset + 3 * ldc + LANES);
      lo4.intoArray(c, cOffset + 4 * ldc);
      hi4.intoArray(c, cOffset + 4 * ldc + LANES);
      lo5.intoArray(c, cOffset + 5 * ldc);
      hi5.intoArray(c, cOffset + 5 * ldc + LANES);
      lo6.intoArray(c, cOffset + 6 * ldc);
      hi6.intoArray(c, cOffset + 6 * ldc + LANES);
      lo7.intoArray(c, cOffset + 7 * ldc);
      hi7.intoArray(c, cOffset + 7 * ldc + LANES);
      lo8.intoArray(c, cOffset + 8 * ldc);
      hi8.intoArray(c, cOffset + 8 * ldc + LANES);
      lo9.intoArray(c, cOffset + 9 * ldc);
      hi9.intoArray(c, cOffset + 9 * ldc + LANES);
      lo10.intoArray(c, cOffset + 10 * ldc);
      hi10.intoArray(c, cOffset + 10 * ldc + LANES);
      lo11.intoArray(c, cOffset + 11 * ldc);
      hi11.intoArray(c, cOffset + 11 * ldc + LANES);
    } else {
      int at0 = cOffset;
      lo0.add(FloatVector.fromArray(SPECIES, c, at0)).intoArray(c, at0);
      hi0.add(FloatVector.fromArray(SPECIES, c, at0 + LANES)).intoArray(c, at0 + LANES);
      int at1 = cOffset + ldc;
      lo1.add(FloatVector.fromArray(SPECIES, c, at1)).intoArray(c, at1);
      hi1.add(FloatVector.fromArray(SPECIES, c, at1 + LANES)).intoArray(c, at1 + LANES);
      int at2 = cOffset + 2 * ldc;
      lo2.add(FloatVector.fromArray(SPECIES, c, at2)).intoArray(c, at2);
      hi2.add(FloatVector.fromArray(SPECIES, c, at2 + LANES)).intoArray(c, at2 + LANES);
      int at3 = cOffset + 3 * ldc;
      lo3.add(FloatVector.fromArray(SPECIES, c, at3)).intoArray(c, at3);
      hi3.add(FloatVector.fromArray(SPECIES, c, at3 + LANES)).intoArray(c, at3 + LANES);
      int at4 = cOffset + 4 * ldc;
      lo4.add(FloatVector.fromArray(SPECIES, c, at4)).intoArray(c, at4);
      hi4.add(FloatVector.fromArray(SPECIES, c, at4 + LANES)).intoArray(c, at4 + LANES);
      int at5 = cOffset + 5 * ldc;
      lo5.add(FloatVector.fromArray(SPECIES, c, at5)).intoArray(c, at5);
      hi5.add(FloatVector.fromArray(SPECIES, c, at5 + LANES)).intoArray(c, at5 + LANES);
      int at6 = cOffset + 6 * ldc;
      lo6.add(FloatVector.fromArray(SPECIES, c, at6)).intoArray(c, at6);
      hi6.add(FloatVector.fromArray(SPECIES, c, at6 + LANES)).intoArray(c, at6 + LANES);
      int at7 = cOffset + 7 * ldc;
      lo7.add(FloatVector.fromArray(SPECIES, c, at7)).intoArray(c, at7);
      hi7.add(FloatVector.fromArray(SPECIES, c, at7 + LANES)).intoArray(c, at7 + LANES);
      int at8 = cOffset + 8 * ldc;
      lo8.add(FloatVector.fromArray(SPECIES, c, at8)).intoArray(c, at8);
      hi8.add(FloatVector.fromArray(SPECIES, c, at8 + LANES)).intoArray(c, at8 + LANES);
      int at9 = cOffset + 9 * ldc;
      lo9.add(FloatVector.fromArray(SPECIES, c, at9)).intoArray(c, at9);
      hi9.add(FloatVector.fromArray(SPECIES, c, at9 + LANES)).intoArray(c, at9 + LANES);
      int at10 = cOffset + 10 * ldc;
      lo10.add(FloatVector.fromArray(SPECIES, c, at10)).intoArray(c, at10);
      hi10.add(FloatVector.fromArray(SPECIES, c, at10 + LANES)).intoArray(c, at10 + LANES);
      int at11 = cOffset + 11 * ldc;
      lo11.add(FloatVector.fromArray(SPECIES, c, at11)).intoArray(c, at11);
      hi11.add(FloatVector.fromArray(SPECIES, c, at11 + LANES)).intoArray(c, at11 + LANES);
    }
  }

  /**
   * The first eight rows of a 12-row tile (its A panel still holds 12 values per depth): the last
   * tile of a task whose rows end on a multiple of four, at two thirds of a full
   * tile's cost instead of all of it.
   */
  private static void multiply8(
      int depth, float[] a, int aOffset, float[] b, int bOffset, int bStride,
      float[] c, int cOffset, int ldc, boolean overwrite) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector lo0 = zero, hi0 = zero;
    FloatVector lo1 = zero, hi1 = zero;
    FloatVector lo2 = zero, hi2 = zero;
    FloatVector lo3 = zero, hi3 = zero;
    FloatVector lo4 = zero, hi4 = zero;
    FloatVector lo5 = zero, hi5 = zero;
    FloatVector lo6 = zero, hi6 = zero;
    FloatVector lo7 = zero, hi7 = zero;
    for (int d = 0; d < depth; d++) {
      int ad = aOffset + d * 12;
      int bd = bOffset + d * bStride;
      FloatVector bLo = FloatVector.fromArray(SPECIES, b, bd);
      FloatVector bHi = FloatVector.fromArray(SPECIES, b, bd + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ad]);
      lo0 = bLo.fma(a0, lo0);
      hi0 = bHi.fma(a0, hi0);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ad + 1]);
      lo1 = bLo.fma(a1, lo1);
      hi1 = bHi.fma(a1, hi1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ad + 2]);
      lo2 = bLo.fma(a2, lo2);
      hi2 = bHi.fma(a2, hi2);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ad + 3]);
      lo3 = bLo.fma(a3, lo3);
      hi3 = bHi.fma(a3, hi3);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ad + 4]);
      lo4 = bLo.fma(a4, lo4);
      hi4 = bHi.fma(a4, hi4);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ad + 5]);
      lo5 = bLo.fma(a5, lo5);
      hi5 = bHi.fma(a5, hi5);
      FloatVector a6 = FloatVector.broadcast(SPECIES, a[ad + 6]);
      lo6 = bLo.fma(a6, lo6);
      hi6 = bHi.fma(a6, hi6);
      FloatVector a7 = FloatVector.broadcast(SPECIES, a[ad + 7]);
      lo7 = bLo.fma(a7, lo7);
      hi7 = bHi.fma(a7, hi7);
    }
    // Stored here, not in a helper: a vector passed to a call that is not inlined is boxed,
    // and the JIT then boxes the accumulators on every iteration of the loop above.
    if (overwrite) {
      lo0.intoArray(c, cOffset);
      hi0.intoArray(c, cOffset + LANES);
      lo1.intoArray(c, cOffset + ldc);
      hi1.intoArray(c, cOffset + ldc + LANES);
      lo2.intoArray(c, cOffset + 2 * ldc);
      hi2.intoArray(c, cOffset + 2 * ldc + LANES);
      lo3.intoArray(c, cOffset + 3 * ldc);
      hi3.intoArray(c, cOffset + 3 * ldc + LANES);
      lo4.intoArray(c, cOffset + 4 * ldc);
      hi4.intoArray(c, cOffset + 4 * ldc + LANES);
      lo5.intoArray(c, cOffset + 5 * ldc);
      hi5.intoArray(c, cOffset + 5 * ldc + LANES);
      lo6.intoArray(c, cOffset + 6 * ldc);
      hi6.intoArray(c, cOffset + 6 * ldc + LANES);
      lo7.intoArray(c, cOffset + 7 * ldc);
      hi7.intoArray(c, cOffset + 7 * ldc + LANES);
    } else {
      int at0 = cOffset;
      lo0.add(FloatVector.fromArray(SPECIES, c, at0)).intoArray(c, at0);
      hi0.add(FloatVector.fromArray(SPECIES, c, at0 + LANES)).intoArray(c, at0 + LANES);
      int at1 = cOffset + ldc;
      lo1.add(FloatVector.fromArray(SPECIES, c, at1)).intoArray(c, at1);
      hi1.add(FloatVector.fromArray(SPECIES, c, at1 + LANES)).intoArray(c, at1 + LANES);
      int at2 = cOffset + 2 * ldc;
      lo2.add(FloatVector.fromArray(SPECIES, c, at2)).intoArray(c, at2);
      hi2.add(FloatVector.fromArray(SPECIES, c, at2 + LANES)).intoArray(c, at2 + LANES);
      int at3 = cOffset + 3 * ldc;
      lo3.add(FloatVector.fromArray(SPECIES, c, at3)).intoArray(c, at3);
      hi3.add(FloatVector.fromArray(SPECIES, c, at3 + LANES)).intoArray(c, at3 + LANES);
      int at4 = cOffset + 4 * ldc;
      lo4.add(FloatVector.fromArray(SPECIES, c, at4)).intoArray(c, at4);
      hi4.add(FloatVector.fromArray(SPECIES, c, at4 + LANES)).intoArray(c, at4 + LANES);
      int at5 = cOffset + 5 * ldc;
      lo5.add(FloatVector.fromArray(SPECIES, c, at5)).intoArray(c, at5);
      hi5.add(FloatVector.fromArray(SPECIES, c, at5 + LANES)).intoArray(c, at5 + LANES);
      int at6 = cOffset + 6 * ldc;
      lo6.add(FloatVector.fromArray(SPECIES, c, at6)).intoArray(c, at6);
      hi6.add(FloatVector.fromArray(SPECIES, c, at6 + LANES)).intoArray(c, at6 + LANES);
      int at7 = cOffset + 7 * ldc;
      lo7.add(FloatVector.fromArray(SPECIES, c, at7)).intoArray(c, at7);
      hi7.add(FloatVector.fromArray(SPECIES, c, at7 + LANES)).intoArray(c, at7 + LANES);
    }
  }

  /**
   * The first four rows of a 12-row tile (its A panel still holds 12 values per depth): the last
   * tile of a task whose rows end on a multiple of four, at one third of a full
   * tile's cost instead of all of it.
   */
  private static void multiply4(
      int depth, float[] a, int aOffset, float[] b, int bOffset, int bStride,
      float[] c, int cOffset, int ldc, boolean overwrite) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector lo0 = zero, hi0 = zero;
    FloatVector lo1 = zero, hi1 = zero;
    FloatVector lo2 = zero, hi2 = zero;
    FloatVector lo3 = zero, hi3 = zero;
    for (int d = 0; d < depth; d++) {
      int ad = aOffset + d * 12;
      int bd = bOffset + d * bStride;
      FloatVector bLo = FloatVector.fromArray(SPECIES, b, bd);
      FloatVector bHi = FloatVector.fromArray(SPECIES, b, bd + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ad]);
      lo0 = bLo.fma(a0, lo0);
      hi0 = bHi.fma(a0, hi0);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ad + 1]);
      lo1 = bLo.fma(a1, lo1);
      hi1 = bHi.fma(a1, hi1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ad + 2]);
      lo2 = bLo.fma(a2, lo2);
      hi2 = bHi.fma(a2, hi2);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ad + 3]);
      lo3 = bLo.fma(a3, lo3);
      hi3 = bHi.fma(a3, hi3);
    }
    // Stored here, not in a helper: a vector passed to a call that is not inlined is boxed,
    // and the JIT then boxes the accumulators on every iteration of the loop above.
    if (overwrite) {
      lo0.intoArray(c, cOffset);
      hi0.intoArray(c, cOffset + LANES);
      lo1.intoArray(c, cOffset + ldc);
      hi1.intoArray(c, cOffset + ldc + LANES);
      lo2.intoArray(c, cOffset + 2 * ldc);
      hi2.intoArray(c, cOffset + 2 * ldc + LANES);
      lo3.intoArray(c, cOffset + 3 * ldc);
      hi3.intoArray(c, cOffset + 3 * ldc + LANES);
    } else {
      int at0 = cOffset;
      lo0.add(FloatVector.fromArray(SPECIES, c, at0)).intoArray(c, at0);
      hi0.add(FloatVector.fromArray(SPECIES, c, at0 + LANES)).intoArray(c, at0 + LANES);
      int at1 = cOffset + ldc;
      lo1.add(FloatVector.fromArray(SPECIES, c, at1)).intoArray(c, at1);
      hi1.add(FloatVector.fromArray(SPECIES, c, at1 + LANES)).intoArray(c, at1 + LANES);
      int at2 = cOffset + 2 * ldc;
      lo2.add(FloatVector.fromArray(SPECIES, c, at2)).intoArray(c, at2);
      hi2.add(FloatVector.fromArray(SPECIES, c, at2 + LANES)).intoArray(c, at2 + LANES);
      int at3 = cOffset + 3 * ldc;
      lo3.add(FloatVector.fromArray(SPECIES, c, at3)).intoArray(c, at3);
      hi3.add(FloatVector.fromArray(SPECIES, c, at3 + LANES)).intoArray(c, at3 + LANES);
    }
  }

  private static void multiply6(
      int depth, float[] a, int aOffset, float[] b, int bOffset, int bStride,
      float[] c, int cOffset, int ldc, boolean overwrite) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector lo0 = zero, hi0 = zero;
    FloatVector lo1 = zero, hi1 = zero;
    FloatVector lo2 = zero, hi2 = zero;
    FloatVector lo3 = zero, hi3 = zero;
    FloatVector lo4 = zero, hi4 = zero;
    FloatVector lo5 = zero, hi5 = zero;
    for (int d = 0; d < depth; d++) {
      int ad = aOffset + d * 6;
      int bd = bOffset + d * bStride;
      FloatVector bLo = FloatVector.fromArray(SPECIES, b, bd);
      FloatVector bHi = FloatVector.fromArray(SPECIES, b, bd + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ad]);
      lo0 = bLo.fma(a0, lo0);
      hi0 = bHi.fma(a0, hi0);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ad + 1]);
      lo1 = bLo.fma(a1, lo1);
      hi1 = bHi.fma(a1, hi1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ad + 2]);
      lo2 = bLo.fma(a2, lo2);
      hi2 = bHi.fma(a2, hi2);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ad + 3]);
      lo3 = bLo.fma(a3, lo3);
      hi3 = bHi.fma(a3, hi3);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ad + 4]);
      lo4 = bLo.fma(a4, lo4);
      hi4 = bHi.fma(a4, hi4);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ad + 5]);
      lo5 = bLo.fma(a5, lo5);
      hi5 = bHi.fma(a5, hi5);
    }
    // Stored here, not in a helper: a vector passed to a call that is not inlined is boxed,
    // and the JIT then boxes the accumulators on every iteration of the loop above.
    if (overwrite) {
      lo0.intoArray(c, cOffset);
      hi0.intoArray(c, cOffset + LANES);
      lo1.intoArray(c, cOffset + ldc);
      hi1.intoArray(c, cOffset + ldc + LANES);
      lo2.intoArray(c, cOffset + 2 * ldc);
      hi2.intoArray(c, cOffset + 2 * ldc + LANES);
      lo3.intoArray(c, cOffset + 3 * ldc);
      hi3.intoArray(c, cOffset + 3 * ldc + LANES);
      lo4.intoArray(c, cOffset + 4 * ldc);
      hi4.intoArray(c, cOffset + 4 * ldc + LANES);
      lo5.intoArray(c, cOffset + 5 * ldc);
      hi5.intoArray(c, cOffset + 5 * ldc + LANES);
    } else {
      int at0 = cOffset;
      lo0.add(FloatVector.fromArray(SPECIES, c, at0)).intoArray(c, at0);
      hi0.add(FloatVector.fromArray(SPECIES, c, at0 + LANES)).intoArray(c, at0 + LANES);
      int at1 = cOffset + ldc;
      lo1.add(FloatVector.fromArray(SPECIES, c, at1)).intoArray(c, at1);
      hi1.add(FloatVector.fromArray(SPECIES, c, at1 + LANES)).intoArray(c, at1 + LANES);
      int at2 = cOffset + 2 * ldc;
      lo2.add(FloatVector.fromArray(SPECIES, c, at2)).intoArray(c, at2);
      hi2.add(FloatVector.fromArray(SPECIES, c, at2 + LANES)).intoArray(c, at2 + LANES);
      int at3 = cOffset + 3 * ldc;
      lo3.add(FloatVector.fromArray(SPECIES, c, at3)).intoArray(c, at3);
      hi3.add(FloatVector.fromArray(SPECIES, c, at3 + LANES)).intoArray(c, at3 + LANES);
      int at4 = cOffset + 4 * ldc;
      lo4.add(FloatVector.fromArray(SPECIES, c, at4)).intoArray(c, at4);
      hi4.add(FloatVector.fromArray(SPECIES, c, at4 + LANES)).intoArray(c, at4 + LANES);
      int at5 = cOffset + 5 * ldc;
      lo5.add(FloatVector.fromArray(SPECIES, c, at5)).intoArray(c, at5);
      hi5.add(FloatVector.fromArray(SPECIES, c, at5 + LANES)).intoArray(c, at5 + LANES);
    }
  }
}
