package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.apply;
import static dev.adjoint.reference.Fixtures.dims;
import static dev.adjoint.reference.Fixtures.f64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import java.util.Map;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

class ElementwiseTest {

  private static final double E = Math.E;

  @Test
  void signAbsNegAndRelu() {
    NDArray x = f64(dims(5), -2.5, -0.5, 0, 0.5, 3);
    assertArrayEquals(new double[] {2.5, 0.5, -0.0, -0.5, -3}, apply(x, Tensor::unaryMinus).toDoubleArray());
    assertArrayEquals(new double[] {2.5, 0.5, 0, 0.5, 3}, apply(x, Tensor::abs).toDoubleArray());
    assertArrayEquals(new double[] {-1, -1, 0, 1, 1}, apply(x, Tensor::sign).toDoubleArray());
    assertArrayEquals(new double[] {0, 0, 0, 0.5, 3}, apply(x, Tensor::relu).toDoubleArray());
  }

  @Test
  void integerSignAbsNegStayIntegerAndWrapLikeJava() {
    NDArray x = NDArray.of(DType.I32, dims(4), -3, 0, 5, Integer.MIN_VALUE);
    NDArray neg = apply(x, Tensor::unaryMinus);
    assertEquals(DType.I32, neg.dtype());
    assertArrayEquals(new double[] {3, 0, -5, Integer.MIN_VALUE}, neg.toDoubleArray());
    assertArrayEquals(new double[] {3, 0, 5, Integer.MIN_VALUE}, apply(x, Tensor::abs).toDoubleArray());
    assertArrayEquals(new double[] {-1, 0, 1, -1}, apply(x, Tensor::sign).toDoubleArray());
  }

  @Test
  void transcendentalFunctionsAtKnownPoints() {
    NDArray one = f64(dims(1), 1);
    assertEquals(E, apply(one, Tensor::exp).item(), 1e-15);
    assertEquals(E - 1, apply(one, Tensor::expm1).item(), 1e-15);
    assertEquals(1, apply(f64(dims(1), E), Tensor::log).item(), 1e-15);
    assertEquals(Math.log(2), apply(one, Tensor::log1p).item(), 1e-15);
    assertEquals(1.5, apply(f64(dims(1), 2.25), Tensor::sqrt).item());
    assertEquals(0.25, apply(f64(dims(1), 4), Tensor::reciprocal).item());
    // tanh(1) = (e² - 1)/(e² + 1)
    assertEquals((E * E - 1) / (E * E + 1), apply(one, Tensor::tanh).item(), 1e-15);
    // Precision near 0 is the point of expm1 and log1p: their Taylor series to second order.
    double small = 1e-12;
    assertEquals(small + small * small / 2, apply(f64(dims(1), small), Tensor::expm1).item(), 1e-28);
    assertEquals(small - small * small / 2, apply(f64(dims(1), small), Tensor::log1p).item(), 1e-28);
  }

  @Test
  void sigmoidMatchesItsFormulaAndSaturatesWithoutNaN() {
    double[] xs = {-3, -0.5, 0, 0.5, 3};
    double[] y = apply(f64(dims(5), xs), Tensor::sigmoid).toDoubleArray();
    for (int i = 0; i < xs.length; i++) {
      assertEquals(1 / (1 + Math.exp(-xs[i])), y[i], 1e-16);
    }
    double[] extreme = apply(f64(dims(4), -1000, -745, 745, 1000), Tensor::sigmoid).toDoubleArray();
    assertArrayEquals(new double[] {0, Math.exp(-745), 1, 1}, extreme, 0);
  }

  @Test
  void erfMatchesCommonsMath() {
    double[] xs = {-3, -1, -0.2, 0, 0.2, 1, 3};
    double[] y = apply(f64(dims(7), xs), Tensor::erf).toDoubleArray();
    for (int i = 0; i < xs.length; i++) {
      assertEquals(Erf.erf(xs[i]), y[i], 1e-15);
    }
  }

  @Test
  void binaryBroadcastsATrailingVector() {
    NDArray x = f64(dims(2, 3), 1, 2, 3, 4, 5, 6);
    NDArray y = f64(dims(3), 10, 20, 30);
    NDArray sum = apply(x, y, Tensor::plus);
    assertEquals(Shape.of(2, 3), sum.shape());
    assertArrayEquals(new double[] {11, 22, 33, 14, 25, 36}, sum.toDoubleArray());
  }

  @Test
  void sizeOneDimsBroadcastToAnOuterProduct() {
    NDArray column = f64(dims(2, 1), 2, 3);
    NDArray row = f64(dims(1, 3), 1, 10, 100);
    assertArrayEquals(new double[] {2, 20, 200, 3, 30, 300}, apply(column, row, Tensor::times).toDoubleArray());
  }

  @Test
  void rankPromotionAlignsOnTheRight() {
    NDArray x = f64(dims(2, 1, 3), 1, 2, 3, 4, 5, 6);
    NDArray y = f64(dims(4, 1), 10, 20, 30, 40);
    NDArray out = apply(x, y, Tensor::minus);
    assertEquals(Shape.of(2, 4, 3), out.shape());
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 4; j++) {
        for (int k = 0; k < 3; k++) {
          assertEquals(x.at(i, 0, k) - y.at(j, 0), out.at(i, j, k));
        }
      }
    }
  }

  @Test
  void scalarConstantsBroadcastEverywhere() {
    NDArray x = f64(dims(2, 2), 1, 2, 3, 4);
    assertArrayEquals(new double[] {0.5, 1, 1.5, 2}, apply(x, t -> t.div(2)).toDoubleArray());
    assertArrayEquals(new double[] {1, 8, 27, 64}, apply(x, t -> t.pow(3)).toDoubleArray());
  }

  @Test
  void maxAndMinFollowJavaMath() {
    NDArray x = f64(dims(4), 1, Double.NaN, -0.0, 5);
    NDArray y = f64(dims(4), 2, 1, 0.0, -5);
    double[] max = apply(x, y, Tensor::maximum).toDoubleArray();
    double[] min = apply(x, y, Tensor::minimum).toDoubleArray();
    assertArrayEquals(new double[] {2, Double.NaN, 0.0, 5}, max);
    assertArrayEquals(new double[] {1, Double.NaN, -0.0, -5}, min);
  }

  @Test
  void floatDivisionByZeroFollowsIeee() {
    double[] y = apply(f64(dims(3), 1, -1, 0), t -> t.div(0)).toDoubleArray();
    assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}, y);
  }

  @Test
  void integerDivisionTruncatesTowardZero() {
    NDArray x = NDArray.of(DType.I64, dims(4), -7, 7, -7, 7);
    NDArray y = NDArray.of(DType.I64, dims(4), 2, 2, -2, -2);
    NDArray q = apply(x, y, Tensor::div);
    assertEquals(DType.I64, q.dtype());
    assertArrayEquals(new double[] {-3, 3, 3, -3}, q.toDoubleArray());
  }

  @Test
  void integerAdditionWrapsLikeJavaInt() {
    NDArray x = NDArray.of(DType.I32, dims(2), Integer.MAX_VALUE, -4);
    NDArray y = NDArray.of(DType.I32, dims(2), 1, 9);
    int wrapped = Integer.MAX_VALUE;
    wrapped += 1;
    assertArrayEquals(new double[] {wrapped, 5}, apply(x, y, Tensor::plus).toDoubleArray());
  }

  @Test
  void integerDivisionByZeroNamesTheNodeAndPosition() {
    NDArray x = NDArray.of(DType.I32, dims(2, 2), 1, 2, 3, 4);
    NDArray y = NDArray.of(DType.I32, dims(2), 1, 0);
    AdjointException e = assertThrows(AdjointException.class, () -> apply(x, y, Tensor::div));
    assertTrue(e.getMessage().contains("'div_1' (div)"), e.getMessage());
    assertTrue(e.getMessage().contains("division by zero at position [0, 1]"), e.getMessage());
    assertTrue(e.getMessage().contains("i32[2,2], i32[2]"), e.getMessage());
  }

  @Test
  void comparisonsGiveBooleansAndBroadcast() {
    NDArray x = f64(dims(4), 1, 2, 3, Double.NaN);
    NDArray y = f64(dims(1), 2);
    NDArray lt = apply(x, y, Tensor::lt);
    assertEquals(TensorType.of(DType.BOOL, 4), lt.type());
    assertArrayEquals(new double[] {1, 0, 0, 0}, lt.toDoubleArray());
    assertArrayEquals(new double[] {1, 1, 0, 0}, apply(x, y, Tensor::le).toDoubleArray());
    assertArrayEquals(new double[] {0, 0, 1, 0}, apply(x, y, Tensor::gt).toDoubleArray());
    assertArrayEquals(new double[] {0, 1, 1, 0}, apply(x, y, Tensor::ge).toDoubleArray());
    assertArrayEquals(new double[] {0, 1, 0, 0}, apply(x, y, Tensor::eq).toDoubleArray());
    assertArrayEquals(new double[] {1, 0, 1, 1}, apply(x, y, Tensor::ne).toDoubleArray());
  }

  @Test
  void selectBroadcastsAllThreeOperands() {
    GraphBuilder b = new GraphBuilder("select");
    Tensor cond = b.input("cond", DType.BOOL, 2, 1);
    Tensor a = b.input("a", DType.F64, 2, 3);
    Tensor out = cond.select(a, b.scalar(DType.F64, -1));
    NDArray result = ReferenceInterpreter.run(
        b.build(out),
        Map.of("cond", NDArray.of(DType.BOOL, dims(2, 1), 0, 1), "a", f64(dims(2, 3), 1, 2, 3, 4, 5, 6))).get(0);
    assertArrayEquals(new double[] {-1, -1, -1, 4, 5, 6}, result.toDoubleArray());
  }

  @Test
  void castTruncatesTowardZeroAndTestsNonZeroForBool() {
    NDArray x = f64(dims(5), -2.7, 2.7, 0, 0.5, -0.5);
    NDArray toInt = apply(x, t -> t.cast(DType.I32));
    assertEquals(DType.I32, toInt.dtype());
    assertArrayEquals(new double[] {-2, 2, 0, 0, 0}, toInt.toDoubleArray());
    assertArrayEquals(new double[] {1, 1, 0, 1, 1}, apply(x, t -> t.cast(DType.BOOL)).toDoubleArray());
    assertEquals((float) 0.1, apply(f64(dims(1), 0.1), t -> t.cast(DType.F32)).item());
    long big = (1L << 32) + 5;
    assertEquals(5, apply(NDArray.of(DType.I64, dims(1), big), t -> t.cast(DType.I32)).item());
  }

  @Test
  void stopGradientIsTheIdentity() {
    NDArray x = f64(dims(3), 1, -2, 3.5);
    assertEquals(x, apply(x, Tensor::stopGradient));
  }

  @Test
  void f32NodesHoldFloatRoundedValues() {
    float a = 0.1f;
    float c = 1 / 3f;
    NDArray x = NDArray.of(DType.F32, dims(2), a, c);
    NDArray y = NDArray.of(DType.F32, dims(2), 0.2f, 3f);
    NDArray sum = apply(x, y, Tensor::plus);
    assertEquals(DType.F32, sum.dtype());
    // Java's float arithmetic is IEEE single precision: the independent expectation.
    assertArrayEquals(new double[] {a + 0.2f, c + 3f}, sum.toDoubleArray());
    assertArrayEquals(new double[] {a * 0.2f, c * 3f}, apply(x, y, Tensor::times).toDoubleArray());
    assertEquals((float) Math.exp(0.1f), apply(x, Tensor::exp).get(0));
  }
}
