package dev.adjoint.runtime.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes of 16×16 blocks in vector registers, for packing: 16 row loads, four rounds of
 * perfect shuffles (two-vector lane selects), 16 stores; faster than the gathers they replace
 * (measured: 10.5 µs instead of 14–16 µs to pack a 256×256 A) and than strided scalar stores
 * (two thirds of the filter gradient's time before). Only for 16-lane vectors ({@link #SUITS});
 * only loaded where {@link dev.adjoint.runtime.VectorSupport} says the module is present.
 */
public final class DoubleTransposes {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Whether the vectors have the 16 lanes the transposes are written for. */
  public static final boolean SUITS = LANES == 16;
  /**
   * Lane indices, into the concatenation of two vectors x and y, of the perfect shuffle of x's
   * first halves with y's (LOW) and of their second halves (HIGH).
   */
  private static final DoubleVector LOW = shuffleIndexes(0);
  private static final DoubleVector HIGH = shuffleIndexes(LANES / 2);

  private static final ThreadLocal<double[]> SCRATCH =
      ThreadLocal.withInitial(() -> new double[LANES]);

  private DoubleTransposes() {}

  /** This thread's room for {@link #transpose16}'s last output: fetch once per block of calls. */
  public static double[] scratch() {
    return SCRATCH.get();
  }

  private static DoubleVector shuffleIndexes(int first) {
    double[] indexes = new double[LANES];
    for (int t = 0; t < LANES / 2; t++) {
      indexes[2 * t] = first + t;
      indexes[2 * t + 1] = LANES + first + t;
    }
    return DoubleVector.fromArray(SPECIES, indexes, 0);
  }

  /**
   * dst[to + j·dstStride + i] = src[from + i·srcStride + j] for i &lt; rows (1 to 16) and j &lt; 16,
   * rows past {@code rows} counting as zeros. Either all 16 rows are given, or the outputs lie
   * closer than 16 apart (rows ≤ dstStride &lt; 16): each output is then stored whole, in order,
   * its extra lanes overwritten by the next one, and the last goes through {@code scratch} (this
   * thread's {@link #scratch()}), so nothing past its rows is written. No masked stores: with
   * them the method was too big for C1's register allocator and ran with boxed vectors,
   * allocating, until C2 compiled it.
   */
  public static void transpose16(
      double[] src, int from, int srcStride, int rows, double[] dst, int to, int dstStride,
      double[] scratch) {
    if (rows < LANES && dstStride >= LANES) {
      throw new IllegalArgumentException(
          "transpose16: " + rows + " rows need outputs closer than 16 apart, not " + dstStride);
    }
    DoubleVector zero = DoubleVector.zero(SPECIES);
    DoubleVector x0 = DoubleVector.fromArray(SPECIES, src, from);
    DoubleVector x1 = rows > 1 ? DoubleVector.fromArray(SPECIES, src, from + 1 * srcStride) : zero;
    DoubleVector x2 = rows > 2 ? DoubleVector.fromArray(SPECIES, src, from + 2 * srcStride) : zero;
    DoubleVector x3 = rows > 3 ? DoubleVector.fromArray(SPECIES, src, from + 3 * srcStride) : zero;
    DoubleVector x4 = rows > 4 ? DoubleVector.fromArray(SPECIES, src, from + 4 * srcStride) : zero;
    DoubleVector x5 = rows > 5 ? DoubleVector.fromArray(SPECIES, src, from + 5 * srcStride) : zero;
    DoubleVector x6 = rows > 6 ? DoubleVector.fromArray(SPECIES, src, from + 6 * srcStride) : zero;
    DoubleVector x7 = rows > 7 ? DoubleVector.fromArray(SPECIES, src, from + 7 * srcStride) : zero;
    DoubleVector x8 = rows > 8 ? DoubleVector.fromArray(SPECIES, src, from + 8 * srcStride) : zero;
    DoubleVector x9 = rows > 9 ? DoubleVector.fromArray(SPECIES, src, from + 9 * srcStride) : zero;
    DoubleVector x10 = rows > 10 ? DoubleVector.fromArray(SPECIES, src, from + 10 * srcStride) : zero;
    DoubleVector x11 = rows > 11 ? DoubleVector.fromArray(SPECIES, src, from + 11 * srcStride) : zero;
    DoubleVector x12 = rows > 12 ? DoubleVector.fromArray(SPECIES, src, from + 12 * srcStride) : zero;
    DoubleVector x13 = rows > 13 ? DoubleVector.fromArray(SPECIES, src, from + 13 * srcStride) : zero;
    DoubleVector x14 = rows > 14 ? DoubleVector.fromArray(SPECIES, src, from + 14 * srcStride) : zero;
    DoubleVector x15 = rows > 15 ? DoubleVector.fromArray(SPECIES, src, from + 15 * srcStride) : zero;
    DoubleVector s0 = LOW.selectFrom(x0, x8);
    DoubleVector s1 = HIGH.selectFrom(x0, x8);
    DoubleVector s2 = LOW.selectFrom(x1, x9);
    DoubleVector s3 = HIGH.selectFrom(x1, x9);
    DoubleVector s4 = LOW.selectFrom(x2, x10);
    DoubleVector s5 = HIGH.selectFrom(x2, x10);
    DoubleVector s6 = LOW.selectFrom(x3, x11);
    DoubleVector s7 = HIGH.selectFrom(x3, x11);
    DoubleVector s8 = LOW.selectFrom(x4, x12);
    DoubleVector s9 = HIGH.selectFrom(x4, x12);
    DoubleVector s10 = LOW.selectFrom(x5, x13);
    DoubleVector s11 = HIGH.selectFrom(x5, x13);
    DoubleVector s12 = LOW.selectFrom(x6, x14);
    DoubleVector s13 = HIGH.selectFrom(x6, x14);
    DoubleVector s14 = LOW.selectFrom(x7, x15);
    DoubleVector s15 = HIGH.selectFrom(x7, x15);
    DoubleVector t0 = LOW.selectFrom(s0, s8);
    DoubleVector t1 = HIGH.selectFrom(s0, s8);
    DoubleVector t2 = LOW.selectFrom(s1, s9);
    DoubleVector t3 = HIGH.selectFrom(s1, s9);
    DoubleVector t4 = LOW.selectFrom(s2, s10);
    DoubleVector t5 = HIGH.selectFrom(s2, s10);
    DoubleVector t6 = LOW.selectFrom(s3, s11);
    DoubleVector t7 = HIGH.selectFrom(s3, s11);
    DoubleVector t8 = LOW.selectFrom(s4, s12);
    DoubleVector t9 = HIGH.selectFrom(s4, s12);
    DoubleVector t10 = LOW.selectFrom(s5, s13);
    DoubleVector t11 = HIGH.selectFrom(s5, s13);
    DoubleVector t12 = LOW.selectFrom(s6, s14);
    DoubleVector t13 = HIGH.selectFrom(s6, s14);
    DoubleVector t14 = LOW.selectFrom(s7, s15);
    DoubleVector t15 = HIGH.selectFrom(s7, s15);
    DoubleVector u0 = LOW.selectFrom(t0, t8);
    DoubleVector u1 = HIGH.selectFrom(t0, t8);
    DoubleVector u2 = LOW.selectFrom(t1, t9);
    DoubleVector u3 = HIGH.selectFrom(t1, t9);
    DoubleVector u4 = LOW.selectFrom(t2, t10);
    DoubleVector u5 = HIGH.selectFrom(t2, t10);
    DoubleVector u6 = LOW.selectFrom(t3, t11);
    DoubleVector u7 = HIGH.selectFrom(t3, t11);
    DoubleVector u8 = LOW.selectFrom(t4, t12);
    DoubleVector u9 = HIGH.selectFrom(t4, t12);
    DoubleVector u10 = LOW.selectFrom(t5, t13);
    DoubleVector u11 = HIGH.selectFrom(t5, t13);
    DoubleVector u12 = LOW.selectFrom(t6, t14);
    DoubleVector u13 = HIGH.selectFrom(t6, t14);
    DoubleVector u14 = LOW.selectFrom(t7, t15);
    DoubleVector u15 = HIGH.selectFrom(t7, t15);
    DoubleVector v0 = LOW.selectFrom(u0, u8);
    DoubleVector v1 = HIGH.selectFrom(u0, u8);
    DoubleVector v2 = LOW.selectFrom(u1, u9);
    DoubleVector v3 = HIGH.selectFrom(u1, u9);
    DoubleVector v4 = LOW.selectFrom(u2, u10);
    DoubleVector v5 = HIGH.selectFrom(u2, u10);
    DoubleVector v6 = LOW.selectFrom(u3, u11);
    DoubleVector v7 = HIGH.selectFrom(u3, u11);
    DoubleVector v8 = LOW.selectFrom(u4, u12);
    DoubleVector v9 = HIGH.selectFrom(u4, u12);
    DoubleVector v10 = LOW.selectFrom(u5, u13);
    DoubleVector v11 = HIGH.selectFrom(u5, u13);
    DoubleVector v12 = LOW.selectFrom(u6, u14);
    DoubleVector v13 = HIGH.selectFrom(u6, u14);
    DoubleVector v14 = LOW.selectFrom(u7, u15);
    DoubleVector v15 = HIGH.selectFrom(u7, u15);
    v0.intoArray(dst, to + 0 * dstStride);
    v1.intoArray(dst, to + 1 * dstStride);
    v2.intoArray(dst, to + 2 * dstStride);
    v3.intoArray(dst, to + 3 * dstStride);
    v4.intoArray(dst, to + 4 * dstStride);
    v5.intoArray(dst, to + 5 * dstStride);
    v6.intoArray(dst, to + 6 * dstStride);
    v7.intoArray(dst, to + 7 * dstStride);
    v8.intoArray(dst, to + 8 * dstStride);
    v9.intoArray(dst, to + 9 * dstStride);
    v10.intoArray(dst, to + 10 * dstStride);
    v11.intoArray(dst, to + 11 * dstStride);
    v12.intoArray(dst, to + 12 * dstStride);
    v13.intoArray(dst, to + 13 * dstStride);
    v14.intoArray(dst, to + 14 * dstStride);
    if (rows == LANES) {
      v15.intoArray(dst, to + 15 * dstStride);
    } else {
      v15.intoArray(scratch, 0);
      System.arraycopy(scratch, 0, dst, to + 15 * dstStride, rows);
    }
  }
}
