package dev.adjoint.runtime.linalg;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes of 16×16 blocks in vector registers, for packing: 16 row loads, four rounds of
 * perfect shuffles (two-vector lane selects), 16 stores; faster than the gathers they replace
 * (measured: 10.5 µs instead of 14–16 µs to pack a 256×256 A) and than strided scalar stores
 * (two thirds of the filter gradient's time before). Only for 16-lane vectors ({@link #SUITS});
 * only loaded where {@link dev.adjoint.runtime.VectorSupport} says the module is present.
 */
public final class FloatTransposes {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Whether the vectors have the 16 lanes the transposes are written for. */
  public static final boolean SUITS = LANES == 16;
  /**
   * Lane indices, into the concatenation of two vectors x and y, of the perfect shuffle of x's
   * first halves with y's (LOW) and of their second halves (HIGH).
   */
  private static final FloatVector LOW = shuffleIndexes(0);
  private static final FloatVector HIGH = shuffleIndexes(LANES / 2);

  private static final ThreadLocal<float[]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[LANES]);

  private FloatTransposes() {}

  /** This thread's room for {@link #transpose16}'s last output: fetch once per block of calls. */
  public static float[] scratch() {
    return SCRATCH.get();
  }

  private static FloatVector shuffleIndexes(int first) {
    float[] indexes = new float[LANES];
    for (int t = 0; t < LANES / 2; t++) {
      indexes[2 * t] = first + t;
      indexes[2 * t + 1] = LANES + first + t;
    }
    return FloatVector.fromArray(SPECIES, indexes, 0);
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
      float[] src, int from, int srcStride, int rows, float[] dst, int to, int dstStride,
      float[] scratch) {
    if (rows < LANES && dstStride >= LANES) {
      throw new IllegalArgumentException(
          "transpose16: " + rows + " rows need outputs closer than 16 apart, not " + dstStride);
    }
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector x0 = FloatVector.fromArray(SPECIES, src, from);
    FloatVector x1 = rows > 1 ? FloatVector.fromArray(SPECIES, src, from + 1 * srcStride) : zero;
    FloatVector x2 = rows > 2 ? FloatVector.fromArray(SPECIES, src, from + 2 * srcStride) : zero;
    FloatVector x3 = rows > 3 ? FloatVector.fromArray(SPECIES, src, from + 3 * srcStride) : zero;
    FloatVector x4 = rows > 4 ? FloatVector.fromArray(SPECIES, src, from + 4 * srcStride) : zero;
    FloatVector x5 = rows > 5 ? FloatVector.fromArray(SPECIES, src, from + 5 * srcStride) : zero;
    FloatVector x6 = rows > 6 ? FloatVector.fromArray(SPECIES, src, from + 6 * srcStride) : zero;
    FloatVector x7 = rows > 7 ? FloatVector.fromArray(SPECIES, src, from + 7 * srcStride) : zero;
    FloatVector x8 = rows > 8 ? FloatVector.fromArray(SPECIES, src, from + 8 * srcStride) : zero;
    FloatVector x9 = rows > 9 ? FloatVector.fromArray(SPECIES, src, from + 9 * srcStride) : zero;
    FloatVector x10 = rows > 10 ? FloatVector.fromArray(SPECIES, src, from + 10 * srcStride) : zero;
    FloatVector x11 = rows > 11 ? FloatVector.fromArray(SPECIES, src, from + 11 * srcStride) : zero;
    FloatVector x12 = rows > 12 ? FloatVector.fromArray(SPECIES, src, from + 12 * srcStride) : zero;
    FloatVector x13 = rows > 13 ? FloatVector.fromArray(SPECIES, src, from + 13 * srcStride) : zero;
    FloatVector x14 = rows > 14 ? FloatVector.fromArray(SPECIES, src, from + 14 * srcStride) : zero;
    FloatVector x15 = rows > 15 ? FloatVector.fromArray(SPECIES, src, from + 15 * srcStride) : zero;
    FloatVector s0 = LOW.selectFrom(x0, x8);
    FloatVector s1 = HIGH.selectFrom(x0, x8);
    FloatVector s2 = LOW.selectFrom(x1, x9);
    FloatVector s3 = HIGH.selectFrom(x1, x9);
    FloatVector s4 = LOW.selectFrom(x2, x10);
    FloatVector s5 = HIGH.selectFrom(x2, x10);
    FloatVector s6 = LOW.selectFrom(x3, x11);
    FloatVector s7 = HIGH.selectFrom(x3, x11);
    FloatVector s8 = LOW.selectFrom(x4, x12);
    FloatVector s9 = HIGH.selectFrom(x4, x12);
    FloatVector s10 = LOW.selectFrom(x5, x13);
    FloatVector s11 = HIGH.selectFrom(x5, x13);
    FloatVector s12 = LOW.selectFrom(x6, x14);
    FloatVector s13 = HIGH.selectFrom(x6, x14);
    FloatVector s14 = LOW.selectFrom(x7, x15);
    FloatVector s15 = HIGH.selectFrom(x7, x15);
    FloatVector t0 = LOW.selectFrom(s0, s8);
    FloatVector t1 = HIGH.selectFrom(s0, s8);
    FloatVector t2 = LOW.selectFrom(s1, s9);
    FloatVector t3 = HIGH.selectFrom(s1, s9);
    FloatVector t4 = LOW.selectFrom(s2, s10);
    FloatVector t5 = HIGH.selectFrom(s2, s10);
    FloatVector t6 = LOW.selectFrom(s3, s11);
    FloatVector t7 = HIGH.selectFrom(s3, s11);
    FloatVector t8 = LOW.selectFrom(s4, s12);
    FloatVector t9 = HIGH.selectFrom(s4, s12);
    FloatVector t10 = LOW.selectFrom(s5, s13);
    FloatVector t11 = HIGH.selectFrom(s5, s13);
    FloatVector t12 = LOW.selectFrom(s6, s14);
    FloatVector t13 = HIGH.selectFrom(s6, s14);
    FloatVector t14 = LOW.selectFrom(s7, s15);
    FloatVector t15 = HIGH.selectFrom(s7, s15);
    FloatVector u0 = LOW.selectFrom(t0, t8);
    FloatVector u1 = HIGH.selectFrom(t0, t8);
    FloatVector u2 = LOW.selectFrom(t1, t9);
    FloatVector u3 = HIGH.selectFrom(t1, t9);
    FloatVector u4 = LOW.selectFrom(t2, t10);
    FloatVector u5 = HIGH.selectFrom(t2, t10);
    FloatVector u6 = LOW.selectFrom(t3, t11);
    FloatVector u7 = HIGH.selectFrom(t3, t11);
    FloatVector u8 = LOW.selectFrom(t4, t12);
    FloatVector u9 = HIGH.selectFrom(t4, t12);
    FloatVector u10 = LOW.selectFrom(t5, t13);
    FloatVector u11 = HIGH.selectFrom(t5, t13);
    FloatVector u12 = LOW.selectFrom(t6, t14);
    FloatVector u13 = HIGH.selectFrom(t6, t14);
    FloatVector u14 = LOW.selectFrom(t7, t15);
    FloatVector u15 = HIGH.selectFrom(t7, t15);
    FloatVector v0 = LOW.selectFrom(u0, u8);
    FloatVector v1 = HIGH.selectFrom(u0, u8);
    FloatVector v2 = LOW.selectFrom(u1, u9);
    FloatVector v3 = HIGH.selectFrom(u1, u9);
    FloatVector v4 = LOW.selectFrom(u2, u10);
    FloatVector v5 = HIGH.selectFrom(u2, u10);
    FloatVector v6 = LOW.selectFrom(u3, u11);
    FloatVector v7 = HIGH.selectFrom(u3, u11);
    FloatVector v8 = LOW.selectFrom(u4, u12);
    FloatVector v9 = HIGH.selectFrom(u4, u12);
    FloatVector v10 = LOW.selectFrom(u5, u13);
    FloatVector v11 = HIGH.selectFrom(u5, u13);
    FloatVector v12 = LOW.selectFrom(u6, u14);
    FloatVector v13 = HIGH.selectFrom(u6, u14);
    FloatVector v14 = LOW.selectFrom(u7, u15);
    FloatVector v15 = HIGH.selectFrom(u7, u15);
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
