package dev.adjoint.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.runtime.VectorSupport;
import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vector exp against {@link StrictMath#exp}: within two units in the last place everywhere
 * (subnormal results included), the special values right, and the same bits on the first calls,
 * which the interpreter runs, as on the last, which C2 has compiled.
 */
class VectorMathTest {
  /** Passes over the inputs: enough calls that C2 compiles the loop and the functions it calls. */
  private static final int PASSES = 300;

  @BeforeAll
  static void needsTheVectorModule() {
    assumeTrue(VectorSupport.enabled(), "jdk.incubator.vector is not present");
  }

  @Test
  void floatExpIsWithinTwoUlpsAndTheSameInEveryMode() {
    float[] x = floatInputs();
    float[] first = expAll(x);
    float[] last = first;
    for (int pass = 1; pass < PASSES; pass++) {
      last = expAll(x);
    }
    assertArrayEquals(first, last, "interpreted and compiled exp differ");
    for (int i = 0; i < x.length; i++) {
      float expected = (float) StrictMath.exp(x[i]);
      if (Float.isNaN(x[i])) {
        assertTrue(Float.isNaN(last[i]), "exp(NaN) = " + last[i]);
      } else {
        assertEquals(expected, last[i], 2 * Math.ulp(expected), "exp(" + x[i] + ")");
      }
    }
  }

  @Test
  void doubleExpIsWithinTwoUlpsAndTheSameInEveryMode() {
    double[] x = doubleInputs();
    double[] first = expAll(x);
    double[] last = first;
    for (int pass = 1; pass < PASSES; pass++) {
      last = expAll(x);
    }
    assertArrayEquals(first, last, "interpreted and compiled exp differ");
    for (int i = 0; i < x.length; i++) {
      double expected = StrictMath.exp(x[i]);
      if (Double.isNaN(x[i])) {
        assertTrue(Double.isNaN(last[i]), "exp(NaN) = " + last[i]);
      } else {
        assertEquals(expected, last[i], 2 * Math.ulp(expected), "exp(" + x[i] + ")");
      }
    }
  }

  /** Random values over the whole useful range and around 0, then the edges and specials. */
  private static float[] floatInputs() {
    float[] special = {
      Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
      -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f, 88.72f, 88.7228f,
      88.73f, 89f, 90f, -87.33f, -87.34f, -103.27f, -103.28f, -103.9f, -104f, -105f, -150f,
      0.34657f, -0.34657f, 1f, -1f
    };
    SplittableRandom random = new SplittableRandom(3);
    float[] x = new float[1 << 14];
    System.arraycopy(special, 0, x, 0, special.length);
    for (int i = special.length; i < x.length; i++) {
      x[i] = (float) (random.nextBoolean() ? random.nextDouble(-106, 90) : random.nextDouble(-2, 2));
    }
    return x;
  }

  private static double[] doubleInputs() {
    double[] special = {
      Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, Double.MIN_VALUE,
      Double.MAX_VALUE, -Double.MAX_VALUE, 1e300, -1e300, 709.78, 709.79, 710.0, 711.0, -708.39,
      -708.4, -744.4, -745.1, -745.2, -746.0, -800.0, 1.0, -1.0
    };
    SplittableRandom random = new SplittableRandom(5);
    double[] x = new double[1 << 13];
    System.arraycopy(special, 0, x, 0, special.length);
    for (int i = special.length; i < x.length; i++) {
      x[i] = random.nextBoolean() ? random.nextDouble(-750, 712) : random.nextDouble(-2, 2);
    }
    return x;
  }

  private static float[] expAll(float[] x) {
    float[] y = new float[x.length];
    int lanes = VectorMath.FLOATS.length();
    for (int i = 0; i < x.length; i += lanes) {
      VectorMath.exp(FloatVector.fromArray(VectorMath.FLOATS, x, i)).intoArray(y, i);
    }
    return y;
  }

  private static double[] expAll(double[] x) {
    double[] y = new double[x.length];
    int lanes = VectorMath.DOUBLES.length();
    for (int i = 0; i < x.length; i += lanes) {
      VectorMath.exp(DoubleVector.fromArray(VectorMath.DOUBLES, x, i)).intoArray(y, i);
    }
    return y;
  }
}
