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
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReductionTest {

  /** x[i][j][k] = value(i, j, k) over [2, 3, 4]. */
  private static double value(int i, int j, int k) {
    return (i * 7 + j * 5 + k * 3) % 11 - 4.5;
  }

  private static NDArray cube() {
    double[] v = new double[24];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 4; k++) {
          v[i * 12 + j * 4 + k] = value(i, j, k);
        }
      }
    }
    return f64(dims(2, 3, 4), v);
  }

  @Test
  void sumOverTheMiddleAxis() {
    NDArray out = apply(cube(), x -> x.sum(1));
    assertEquals(Shape.of(2, 4), out.shape());
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < 4; k++) {
        assertEquals(value(i, 0, k) + value(i, 1, k) + value(i, 2, k), out.at(i, k), 1e-12);
      }
    }
  }

  @Test
  void keepDimsLeavesSizeOneAxes() {
    NDArray out = apply(cube(), x -> x.sum(true, 1));
    assertEquals(Shape.of(2, 1, 4), out.shape());
    assertEquals(value(1, 0, 2) + value(1, 1, 2) + value(1, 2, 2), out.at(1, 0, 2), 1e-12);
  }

  @Test
  void meanOverTwoAxes() {
    NDArray out = apply(cube(), x -> x.mean(0, 2));
    assertEquals(Shape.of(3), out.shape());
    for (int j = 0; j < 3; j++) {
      double total = 0;
      for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 4; k++) {
          total += value(i, j, k);
        }
      }
      assertEquals(total / 8, out.get(j), 1e-12);
    }
  }

  @Test
  void maxAndMinOverTheLastAxisWithKeepDims() {
    NDArray max = apply(cube(), x -> x.max(true, 2));
    NDArray min = apply(cube(), x -> x.min(2));
    assertEquals(Shape.of(2, 3, 1), max.shape());
    assertEquals(Shape.of(2, 3), min.shape());
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        double hi = Double.NEGATIVE_INFINITY;
        double lo = Double.POSITIVE_INFINITY;
        for (int k = 0; k < 4; k++) {
          hi = Math.max(hi, value(i, j, k));
          lo = Math.min(lo, value(i, j, k));
        }
        assertEquals(hi, max.at(i, j, 0));
        assertEquals(lo, min.at(i, j));
      }
    }
  }

  @Test
  void sumOfEverythingIsAScalar() {
    NDArray out = apply(f64(dims(2, 3), 1, 2, 3, 4, 5, 6), Tensor::sum);
    assertEquals(Shape.scalar(), out.shape());
    assertEquals(21, out.item());
  }

  @Test
  void integerSumsStayExactIntegers() {
    NDArray x = NDArray.of(DType.I64, dims(2, 2), 1L << 40, 3, -(1L << 40), 4);
    NDArray out = apply(x, t -> t.sum(0));
    assertEquals(DType.I64, out.dtype());
    assertArrayEquals(new double[] {0, 7}, out.toDoubleArray());
  }

  @Test
  void maxPropagatesNaN() {
    assertTrue(Double.isNaN(apply(f64(dims(3), 1, Double.NaN, 3), Tensor::max).item()));
  }

  @Test
  void maxOverAnEmptyAxisIsAnErrorNamingTheNode() {
    AdjointException e = assertThrows(AdjointException.class, () -> apply(f64(dims(2, 0)), x -> x.max(1)));
    assertTrue(e.getMessage().contains("'reduce_max_1' (reduce_max)"), e.getMessage());
    assertTrue(e.getMessage().contains("no elements"), e.getMessage());
  }

  @Test
  void sizeOfReadsTheBoundBatch() {
    GraphBuilder b = new GraphBuilder("size");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3, 4);
    var graph = b.build(x.sizeOf(0, 2), x.sizeOf(), x.sizeOf(1));
    var outs = ReferenceInterpreter.run(graph, Map.of("x", NDArray.zeros(DType.F32, Shape.of(5, 3, 4))));
    assertEquals(20, outs.get(0).item());
    assertEquals(60, outs.get(1).item());
    assertEquals(3, outs.get(2).item());
    assertEquals(DType.F32, outs.get(0).dtype());
  }
}
