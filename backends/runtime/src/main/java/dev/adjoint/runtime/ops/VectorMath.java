package dev.adjoint.runtime.ops;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.L2D;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;
import static jdk.incubator.vector.VectorOperators.NE;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector forms of the functions generated elementwise code needs, on the preferred species.
 *
 * <p>Why not {@code lanewise(EXP)}: the Vector API's transcendental operations are computed by
 * one library in C2-compiled code and by {@code Math} in the interpreter, and the two differ in the
 * last bit; {@code reduceLanes(ADD)} adds in a different order once compiled. Either would make a
 * program's first runs differ from its later ones. Everything here is built from lanewise
 * arithmetic that IEEE 754 defines exactly (add, multiply, fused multiply-add, divide, compare,
 * blend, bit operations) in a fixed order, so a lane's result is the same in every mode, and within
 * two units in the last place of the exact value. Only loaded when {@link
 * dev.adjoint.runtime.VectorSupport#enabled()} (generated vector code is the only caller).
 */
public final class VectorMath {
  public static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  public static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  /** Lanes of the float species that the second half of a widened pair fills. */
  private static final VectorMask<Float> UPPER_HALF = FLOATS.indexInRange(-FLOATS.length() / 2, FLOATS.length() / 2);

  private static final double LOG2E = 1.4426950408889634;
  /** ln 2 in two parts (fdlibm's): {@code n·LN2_HI} is exact for the exponents that occur. */
  private static final double LN2_HI = 6.93147180369123816490e-01;
  private static final double LN2_LO = 1.90821492927058770002e-10;
  /** Adding and subtracting 1.5·2^52 rounds a double of magnitude below 2^51 to an integer. */
  private static final double ROUND = 0x1.8p52;
  private static final float ROUND_F = 0x1.8p23f;
  private static final float LN2_HI_F = 0.693359375f;
  private static final float LN2_LO_F = -2.12194440e-4f;

  private VectorMath() {}

  // ---- exp ----

  /**
   * e^x: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor polynomial, times 2^n.
   *
   * <p>Written for speed as well as exactness (measured on floats, in cache: 0.43 → 0.26 ns per
   * element, the same bits): the clamps compare and blend, because lanewise {@code MIN}/{@code
   * MAX} follow {@link Math#min}'s rules for −0 and NaN and compile to several instructions each;
   * and n is read from the bits of {@code x·log2 e + ROUND}, whose low mantissa bits hold it, in
   * place of a float-to-integer conversion, which compiles with fix-ups for NaN and overflow. A
   * NaN input still gives NaN: the polynomial is NaN whatever the exponent bits.
   */
  public static DoubleVector exp(DoubleVector x) {
    DoubleVector clamped = clamp(x, -746.0, 710.0); // beyond: 0 and ∞
    DoubleVector shifted = clamped.mul(LOG2E).add(ROUND);
    DoubleVector n = shifted.sub(ROUND);
    DoubleVector r = n.lanewise(FMA, -LN2_HI, clamped).sub(n.mul(LN2_LO));
    DoubleVector p = DoubleVector.broadcast(DOUBLES, 1.0 / 6227020800.0); // 1/13!
    p = p.lanewise(FMA, r, 1.0 / 479001600.0);
    p = p.lanewise(FMA, r, 1.0 / 39916800.0);
    p = p.lanewise(FMA, r, 1.0 / 3628800.0);
    p = p.lanewise(FMA, r, 1.0 / 362880.0);
    p = p.lanewise(FMA, r, 1.0 / 40320.0);
    p = p.lanewise(FMA, r, 1.0 / 5040.0);
    p = p.lanewise(FMA, r, 1.0 / 720.0);
    p = p.lanewise(FMA, r, 1.0 / 120.0);
    p = p.lanewise(FMA, r, 1.0 / 24.0);
    p = p.lanewise(FMA, r, 1.0 / 6.0);
    p = p.lanewise(FMA, r, 0.5);
    p = p.lanewise(FMA, r, 1.0);
    p = p.lanewise(FMA, r, 1.0);
    return scale(p, shifted.reinterpretAsLongs().sub(Double.doubleToRawLongBits(ROUND)));
  }

  /** x limited to [low, high] by compare and blend; NaN stays NaN. */
  private static DoubleVector clamp(DoubleVector x, double low, double high) {
    DoubleVector above = x.blend(low, x.compare(LT, low));
    return above.blend(high, above.compare(GT, high));
  }

  private static FloatVector clamp(FloatVector x, float low, float high) {
    FloatVector above = x.blend(low, x.compare(LT, low));
    return above.blend(high, above.compare(GT, high));
  }

  /** p·2^n for |n| ≤ 1100, in two factors so that each is a normal double. */
  private static DoubleVector scale(DoubleVector p, LongVector n) {
    LongVector half = n.lanewise(ASHR, 1);
    DoubleVector first = half.add(1023).lanewise(LSHL, 52).reinterpretAsDoubles();
    DoubleVector second = n.sub(half).add(1023).lanewise(LSHL, 52).reinterpretAsDoubles();
    return p.mul(first).mul(second);
  }

  /** e^x in float arithmetic, as the double version (a degree-7 polynomial suffices for floats). */
  public static FloatVector exp(FloatVector x) {
    FloatVector clamped = clamp(x, -104f, 89f);
    FloatVector shifted = clamped.mul((float) LOG2E).add(ROUND_F);
    FloatVector n = shifted.sub(ROUND_F);
    FloatVector r = n.lanewise(FMA, -LN2_HI_F, clamped).sub(n.mul(LN2_LO_F));
    FloatVector p = FloatVector.broadcast(FLOATS, 1f / 5040);
    p = p.lanewise(FMA, r, 1f / 720);
    p = p.lanewise(FMA, r, 1f / 120);
    p = p.lanewise(FMA, r, 1f / 24);
    p = p.lanewise(FMA, r, 1f / 6);
    p = p.lanewise(FMA, r, 0.5f);
    p = p.lanewise(FMA, r, 1f);
    p = p.lanewise(FMA, r, 1f);
    IntVector k = shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND_F));
    IntVector half = k.lanewise(ASHR, 1);
    FloatVector first = half.add(127).lanewise(LSHL, 23).reinterpretAsFloats();
    FloatVector second = k.sub(half).add(127).lanewise(LSHL, 23).reinterpretAsFloats();
    return p.mul(first).mul(second);
  }

  /**
   * e^x − 1: the Taylor polynomial where |x| ≤ ln 2 / 2 (no cancellation), else e^x − 1, whose
   * result is then at least 0.29 in magnitude.
   */
  public static DoubleVector expm1(DoubleVector x) {
    DoubleVector p = DoubleVector.broadcast(DOUBLES, 1.0 / 6227020800.0);
    p = p.lanewise(FMA, x, 1.0 / 479001600.0);
    p = p.lanewise(FMA, x, 1.0 / 39916800.0);
    p = p.lanewise(FMA, x, 1.0 / 3628800.0);
    p = p.lanewise(FMA, x, 1.0 / 362880.0);
    p = p.lanewise(FMA, x, 1.0 / 40320.0);
    p = p.lanewise(FMA, x, 1.0 / 5040.0);
    p = p.lanewise(FMA, x, 1.0 / 720.0);
    p = p.lanewise(FMA, x, 1.0 / 120.0);
    p = p.lanewise(FMA, x, 1.0 / 24.0);
    p = p.lanewise(FMA, x, 1.0 / 6.0);
    p = p.lanewise(FMA, x, 0.5);
    DoubleVector small = p.mul(x).lanewise(FMA, x, x); // x + x²·p
    VectorMask<Double> large = x.abs().compare(GT, 0.34657359027997264);
    return small.blend(exp(x).sub(1.0), large);
  }

  public static FloatVector expm1(FloatVector x) {
    return narrow(expm1(widen(x, 0)), expm1(widen(x, 1)));
  }

  // ---- log ----

  /**
   * ln x (fdlibm's method): x = 2^k·m with √½ ≤ m < √2, f = m − 1, s = f/(2 + f), ln m from a
   * polynomial in s²; subnormals are scaled first; ln 0 = −∞, ln of a negative number or NaN is NaN.
   */
  public static DoubleVector log(DoubleVector x) {
    VectorMask<Double> subnormal = x.compare(LT, Double.MIN_NORMAL);
    DoubleVector scaled = x.blend(x.mul(0x1p54), subnormal);
    LongVector bits = scaled.reinterpretAsLongs();
    DoubleVector k = ((DoubleVector) bits.lanewise(LSHR, 52).sub(1023).convert(L2D, 0))
        .sub(DoubleVector.zero(DOUBLES).blend(54.0, subnormal));
    DoubleVector m = bits.and(0x000FFFFFFFFFFFFFL).or(0x3FF0000000000000L).reinterpretAsDoubles();
    VectorMask<Double> above = m.compare(GT, 1.4142135623730951);
    m = m.blend(m.mul(0.5), above);
    k = k.blend(k.add(1.0), above);
    return special(x, logOf(m.sub(1.0), k));
  }

  /** k·ln 2 + ln(1 + f), fdlibm's polynomial. */
  private static DoubleVector logOf(DoubleVector f, DoubleVector k) {
    DoubleVector s = f.div(f.add(2.0));
    DoubleVector z = s.mul(s);
    DoubleVector w = z.mul(z);
    DoubleVector t1 = w.lanewise(FMA, 1.531383769920937332e-01, DoubleVector.broadcast(DOUBLES, 2.222219843214978396e-01))
        .lanewise(FMA, w, 3.999999999940941908e-01).mul(w);
    DoubleVector t2 = w.lanewise(FMA, 1.479819860511658591e-01, DoubleVector.broadcast(DOUBLES, 1.818357216161805012e-01))
        .lanewise(FMA, w, 2.857142874366239149e-01).lanewise(FMA, w, 6.666666666666735130e-01).mul(z);
    DoubleVector r = t1.add(t2);
    DoubleVector halfSquare = f.mul(f).mul(0.5);
    DoubleVector inner = s.mul(halfSquare.add(r)).add(k.mul(LN2_LO));
    return k.mul(LN2_HI).sub(halfSquare.sub(inner).sub(f));
  }

  /** The special values of ln: +∞ and NaN stay, 0 gives −∞, negative numbers NaN. */
  private static DoubleVector special(DoubleVector x, DoubleVector log) {
    return log.blend(x, x.compare(EQ, Double.POSITIVE_INFINITY).or(x.compare(NE, x)))
        .blend(Double.NEGATIVE_INFINITY, x.compare(EQ, 0.0))
        .blend(Double.NaN, x.compare(LT, 0.0));
  }

  public static FloatVector log(FloatVector x) {
    return narrow(log(widen(x, 0)), log(widen(x, 1)));
  }

  // ---- tanh, sigmoid, sign ----

  /** tanh |x| = e/(e + 2) with e = expm1(2|x|), |x| capped at 20 (tanh 20 rounds to 1); the sign of x. */
  public static DoubleVector tanh(DoubleVector x) {
    DoubleVector e = expm1(x.abs().lanewise(MIN, 20.0).mul(2.0));
    DoubleVector magnitude = e.div(e.add(2.0));
    LongVector sign = x.reinterpretAsLongs().and(Long.MIN_VALUE);
    return magnitude.reinterpretAsLongs().or(sign).reinterpretAsDoubles();
  }

  public static FloatVector tanh(FloatVector x) {
    return narrow(tanh(widen(x, 0)), tanh(widen(x, 1)));
  }

  /** The logistic function as {@link Scalars#sigmoid}: e = e^−|x|, 1/(1 + e) for x ≥ 0, e/(1 + e) below. */
  public static DoubleVector sigmoid(DoubleVector x) {
    DoubleVector e = exp(x.abs().neg());
    DoubleVector numerator = e.blend(1.0, x.compare(GE, 0.0));
    return numerator.div(e.add(1.0));
  }

  public static FloatVector sigmoid(FloatVector x) {
    FloatVector e = exp(x.abs().neg());
    FloatVector numerator = e.blend(1f, x.compare(GE, 0f));
    return numerator.div(e.add(1f));
  }

  /** {@link Math#signum}: ±1, or x itself for zeros and NaN. */
  public static DoubleVector sign(DoubleVector x) {
    return x.blend(1.0, x.compare(GT, 0.0)).blend(-1.0, x.compare(LT, 0.0));
  }

  public static FloatVector sign(FloatVector x) {
    return x.blend(1f, x.compare(GT, 0f)).blend(-1f, x.compare(LT, 0f));
  }

  // ---- widening and horizontal folds ----

  /** Half {@code part} (0: the lower lanes, 1: the upper) of {@code x}, as doubles. */
  public static DoubleVector widen(FloatVector x, int part) {
    return (DoubleVector) x.convertShape(F2D, DOUBLES, part);
  }

  /** The floats of {@code lower} then those of {@code upper}, rounded. */
  public static FloatVector narrow(DoubleVector lower, DoubleVector upper) {
    FloatVector low = (FloatVector) lower.convertShape(D2F, FLOATS, 0);
    FloatVector high = (FloatVector) upper.convertShape(D2F, FLOATS, -1);
    return low.blend(high, UPPER_HALF);
  }

  /** The sum of the lanes, added pairwise in a fixed tree. */
  public static double sum(DoubleVector v) {
    return fold(v, VectorOperators.ADD).lane(0);
  }

  public static double max(DoubleVector v) {
    return fold(v, MAX).lane(0);
  }

  public static double min(DoubleVector v) {
    return fold(v, MIN).lane(0);
  }

  public static float max(FloatVector v) {
    return fold(v, MAX).lane(0);
  }

  public static float min(FloatVector v) {
    return fold(v, MIN).lane(0);
  }

  /**
   * Lane 0 becomes the fold of all lanes: each step combines lane i with lane i + half. The lanes
   * above the live half take zeros from the slice and are never read.
   */
  private static DoubleVector fold(DoubleVector v, VectorOperators.Binary op) {
    DoubleVector x = v;
    for (int half = x.length() / 2; half > 0; half /= 2) {
      x = x.lanewise(op, x.slice(half));
    }
    return x;
  }

  private static FloatVector fold(FloatVector v, VectorOperators.Binary op) {
    FloatVector x = v;
    for (int half = x.length() / 2; half > 0; half /= 2) {
      x = x.lanewise(op, x.slice(half));
    }
    return x;
  }
}
