package dev.adjoint.runtime;

/**
 * The error function in double precision; Java's {@link Math} has none. W. J. Cody's rational
 * Chebyshev approximations (Math. Comp. 23, 1969; the CALERF routine of SPECFUN, 1985), with a
 * maximum relative error of about 1e-16 on three intervals of |x|.
 */
public final class ErrorFunction {
  private static final double FIRST_INTERVAL_END = 0.46875;
  private static final double SECOND_INTERVAL_END = 4.0;
  /** erfc(x) underflows to zero beyond this, so erf(x) is exactly ±1. */
  private static final double ERFC_UNDERFLOW = 26.543;
  private static final double ONE_OVER_SQRT_PI = 5.6418958354775628695e-1;

  /** erf(x) ≈ x·A(x²)/B(x²) for |x| ≤ 0.46875. */
  private static final double[] A = {
    3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
    3.20937758913846947e03, 1.85777706184603153e-1
  };
  private static final double[] B = {
    2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
    2.84423683343917062e03
  };

  /** erfc(x) ≈ exp(-x²)·C(x)/D(x) for 0.46875 < |x| ≤ 4. */
  private static final double[] C = {
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
    2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
    2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8
  };
  private static final double[] D = {
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
    1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
    3.43936767414372164e03, 1.23033935480374942e03
  };

  /** erfc(x) ≈ exp(-x²)/x·(1/√π - P(1/x²)/(x²·Q(1/x²))) for |x| > 4. */
  private static final double[] P = {
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
    1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2
  };
  private static final double[] Q = {
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
    6.05183413124413191e-2, 2.33520497626869185e-3
  };

  private ErrorFunction() {}

  /** erf(x) = 2/√π ∫₀ˣ exp(-t²) dt; odd, ±1 at ±∞, NaN for NaN. */
  public static double erf(double x) {
    double y = Math.abs(x);
    if (y <= FIRST_INTERVAL_END) {
      double ysq = y * y;
      double num = A[4] * ysq;
      double den = ysq;
      for (int i = 0; i < 3; i++) {
        num = (num + A[i]) * ysq;
        den = (den + B[i]) * ysq;
      }
      return x * (num + A[3]) / (den + B[3]);
    }
    double erfc;
    if (y <= SECOND_INTERVAL_END) {
      double num = C[8] * y;
      double den = y;
      for (int i = 0; i < 7; i++) {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
      }
      erfc = expMinusSquare(y) * (num + C[7]) / (den + D[7]);
    } else if (y >= ERFC_UNDERFLOW) {
      erfc = 0;
    } else {
      // Also reached by NaN, which every comparison above rejects; NaN propagates from here.
      double ysq = 1 / (y * y);
      double num = P[5] * ysq;
      double den = ysq;
      for (int i = 0; i < 4; i++) {
        num = (num + P[i]) * ysq;
        den = (den + Q[i]) * ysq;
      }
      double tail = ysq * (num + P[4]) / (den + Q[4]);
      erfc = expMinusSquare(y) * (ONE_OVER_SQRT_PI - tail) / y;
    }
    double erf = (0.5 - erfc) + 0.5;
    return x < 0 ? -erf : erf;
  }

  /**
   * exp(-y²) for y ≥ 0, with y² split into a part exact in binary (y rounded down to 1/16) and a
   * small remainder, so the rounding error of y² is not magnified by exp.
   */
  private static double expMinusSquare(double y) {
    double head = Math.floor(y * 16) / 16;
    double rest = (y - head) * (y + head);
    return Math.exp(-head * head) * Math.exp(-rest);
  }
}
