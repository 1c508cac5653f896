package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.linalg.FloatTransposes;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row windows by vector loads and blends, strided copies by vector gathers, with an index map [0,
 * step, 2·step, ...] built per call (at step 2, the stride-2 convolutions', by selecting the even
 * lanes of two loaded vectors, a third of a gather's cost), row additions by vector adds, and
 * transposes by 16×16 blocks in registers ({@link FloatTransposes}). Loaded only when {@link
 * dev.adjoint.runtime.VectorSupport} says the module is present.
 */
final class VectorStridedCopy implements StridedCopy {
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  /** Lane indices 0, 2, 4, ... into the concatenation of two float vectors. */
  private static final FloatVector EVEN_LANES = evenLanes();
  /** Lane indices 0, 1, 2, ...: a vector's columns relative to its first. */
  private static final FloatVector FLOAT_LANES = FloatVector.zero(FLOATS).addIndex(1);
  private static final DoubleVector DOUBLE_LANES = DoubleVector.zero(DOUBLES).addIndex(1);

  @Override
  public void copy(float[] src, int from, int step, int count, float[] dst, int at) {
    int lanes = FLOATS.length();
    int t = 0;
    if (step == 2) {
      // The second load reads one value past the last one copied: stop where that leaves src.
      for (; t + lanes <= count && from + 2 * (t + lanes) <= src.length; t += lanes) {
        int first = from + 2 * t;
        EVEN_LANES.selectFrom(
                FloatVector.fromArray(FLOATS, src, first),
                FloatVector.fromArray(FLOATS, src, first + lanes))
            .intoArray(dst, at + t);
      }
    }
    if (count - t >= lanes) {
      int[] indexMap = indexMap(step, lanes);
      for (; t + lanes <= count; t += lanes) {
        FloatVector.fromArray(FLOATS, src, from + t * step, indexMap, 0).intoArray(dst, at + t);
      }
    }
    for (; t < count; t++) {
      dst[at + t] = src[from + t * step];
    }
  }

  @Override
  public void transpose(
      float[] src, int from, int srcStride, int rows, int cols, float[] dst, int at, int dstStride) {
    if (!FloatTransposes.SUITS) {
      StridedCopy.super.transpose(src, from, srcStride, rows, cols, dst, at, dstStride);
      return;
    }
    float[] scratch = FloatTransposes.scratch();
    int blockRows = rows / 16 * 16;
    int blockCols = cols / 16 * 16;
    for (int i = 0; i < blockRows; i += 16) {
      for (int j = 0; j < blockCols; j += 16) {
        FloatTransposes.transpose16(
            src, from + i * srcStride + j, srcStride, 16, dst, at + j * dstStride + i, dstStride,
            scratch);
      }
    }
    // The edges: columns past the last whole block, then rows past it.
    StridedCopy.super.transpose(src, from + blockCols, srcStride, blockRows, cols - blockCols,
        dst, at + blockCols * dstStride, dstStride);
    StridedCopy.super.transpose(src, from + blockRows * srcStride, srcStride, rows - blockRows,
        cols, dst, at + blockRows, dstStride);
  }

  @Override
  public void copy(double[] src, int from, int step, int count, double[] dst, int at) {
    int lanes = DOUBLES.length();
    int t = 0;
    if (count >= lanes) {
      int[] indexMap = indexMap(step, lanes);
      for (; t + lanes <= count; t += lanes) {
        DoubleVector.fromArray(DOUBLES, src, from + t * step, indexMap, 0).intoArray(dst, at + t);
      }
    }
    for (; t < count; t++) {
      dst[at + t] = src[from + t * step];
    }
  }

  /**
   * Whole vectors where the loads stay inside x: lanes that fall outside the row, into the
   * neighbouring rows, are zeroed by a blend, so the padding costs no separate fill; the rest (a
   * short run's tail, a load past either end of x) as the scalar version does it.
   */
  @Override
  public void window(
      float[] x, int rowBase, int start, int count, int width, float[] dst, int at) {
    int lanes = FLOATS.length();
    int from = rowBase + start;
    int t = 0;
    if (start >= 0 && start + count <= width) {
      for (; t + lanes <= count; t += lanes) {
        FloatVector.fromArray(FLOATS, x, from + t).intoArray(dst, at + t);
      }
    } else {
      for (; t + lanes <= count && from + t >= 0 && from + t + lanes <= x.length; t += lanes) {
        FloatVector column = FLOAT_LANES.add(start + t);
        VectorMask<Float> outside =
            column.compare(VectorOperators.LT, 0f).or(column.compare(VectorOperators.GE, width));
        FloatVector.fromArray(FLOATS, x, from + t).blend(0f, outside).intoArray(dst, at + t);
      }
    }
    if (t < count) {
      StridedCopy.super.window(x, rowBase, start + t, count - t, width, dst, at + t);
    }
  }

  @Override
  public void window(
      double[] x, int rowBase, int start, int count, int width, double[] dst, int at) {
    int lanes = DOUBLES.length();
    int from = rowBase + start;
    int t = 0;
    if (start >= 0 && start + count <= width) {
      for (; t + lanes <= count; t += lanes) {
        DoubleVector.fromArray(DOUBLES, x, from + t).intoArray(dst, at + t);
      }
    } else {
      for (; t + lanes <= count && from + t >= 0 && from + t + lanes <= x.length; t += lanes) {
        DoubleVector column = DOUBLE_LANES.add(start + t);
        VectorMask<Double> outside =
            column.compare(VectorOperators.LT, 0.0).or(column.compare(VectorOperators.GE, width));
        DoubleVector.fromArray(DOUBLES, x, from + t).blend(0.0, outside).intoArray(dst, at + t);
      }
    }
    if (t < count) {
      StridedCopy.super.window(x, rowBase, start + t, count - t, width, dst, at + t);
    }
  }

  @Override
  public void add(float[] src, int from, int count, float[] dst, int at) {
    int t = 0;
    for (int bound = FLOATS.loopBound(count); t < bound; t += FLOATS.length()) {
      FloatVector.fromArray(FLOATS, dst, at + t).add(FloatVector.fromArray(FLOATS, src, from + t))
          .intoArray(dst, at + t);
    }
    for (; t < count; t++) {
      dst[at + t] += src[from + t];
    }
  }

  @Override
  public void add(double[] src, int from, int count, double[] dst, int at) {
    int t = 0;
    for (int bound = DOUBLES.loopBound(count); t < bound; t += DOUBLES.length()) {
      DoubleVector.fromArray(DOUBLES, dst, at + t)
          .add(DoubleVector.fromArray(DOUBLES, src, from + t))
          .intoArray(dst, at + t);
    }
    for (; t < count; t++) {
      dst[at + t] += src[from + t];
    }
  }

  private static FloatVector evenLanes() {
    float[] indexes = new float[FLOATS.length()];
    for (int lane = 0; lane < indexes.length; lane++) {
      indexes[lane] = 2 * lane;
    }
    return FloatVector.fromArray(FLOATS, indexes, 0);
  }

  private static int[] indexMap(int step, int lanes) {
    int[] map = new int[lanes];
    for (int lane = 0; lane < lanes; lane++) {
      map[lane] = lane * step;
    }
    return map;
  }
}
