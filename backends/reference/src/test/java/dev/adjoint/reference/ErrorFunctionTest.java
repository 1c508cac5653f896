package dev.adjoint.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.runtime.ErrorFunction;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

class ErrorFunctionTest {

  @Test
  void matchesCommonsMathOnAGridAcrossAllThreeIntervals() {
    for (int i = -8000; i <= 8000; i++) {
      double x = i / 1000.0;
      double error = Math.abs(ErrorFunction.erf(x) - Erf.erf(x));
      assertTrue(error <= 1e-15, "erf(" + x + "): " + ErrorFunction.erf(x) + " vs " + Erf.erf(x));
    }
  }

  @Test
  void smallArgumentsKeepRelativeAccuracy() {
    // erf(x) = 2/√π·(x - x³/3 + ...), so for tiny x it is 2x/√π to double precision.
    for (double x : new double[] {1e-300, 1e-20, 1e-10, -3e-9}) {
      double expected = 2 / Math.sqrt(Math.PI) * x;
      assertEquals(expected, ErrorFunction.erf(x), Math.abs(expected) * 4e-16);
    }
  }

  @Test
  void knownValues() {
    // Correctly rounded values (Abramowitz & Stegun table 7.1, extended to double precision).
    assertEquals(0.5204998778130465, ErrorFunction.erf(0.5), 2e-16);
    assertEquals(0.8427007929497149, ErrorFunction.erf(1), 2e-16);
    assertEquals(0.9953222650189527, ErrorFunction.erf(2), 2e-16);
  }

  @Test
  void specialValues() {
    assertEquals(0.0, ErrorFunction.erf(0.0));
    assertEquals(-0.0, ErrorFunction.erf(-0.0));
    assertEquals(1.0, ErrorFunction.erf(Double.POSITIVE_INFINITY));
    assertEquals(-1.0, ErrorFunction.erf(Double.NEGATIVE_INFINITY));
    assertEquals(1.0, ErrorFunction.erf(27));
    assertTrue(Double.isNaN(ErrorFunction.erf(Double.NaN)));
  }

  @Test
  void isOdd() {
    for (double x = 0; x < 7; x += 0.0137) {
      assertEquals(-ErrorFunction.erf(x), ErrorFunction.erf(-x));
    }
  }
}
