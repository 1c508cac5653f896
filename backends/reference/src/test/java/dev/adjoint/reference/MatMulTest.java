package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.apply;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

class MatMulTest {

  private static NDArray random(Random rng, int... dims) {
    return NDArray.generate(DType.F64, Shape.of(dims), i -> rng.nextDouble() * 2 - 1);
  }

  /** The matrix at leading index {@code batch} of a value whose last two dims are a matrix. */
  private static RealMatrix matrix(NDArray value, int batch) {
    int rank = value.shape().rank();
    int rows = value.shape().dim(rank - 2);
    int cols = value.shape().dim(rank - 1);
    double[][] m = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        m[r][c] = value.get((batch * rows + r) * cols + c);
      }
    }
    return new Array2DRowRealMatrix(m, false);
  }

  private static NDArray matmul(NDArray a, NDArray b) {
    return apply(a, b, Tensor::matmul);
  }

  private static void assertMatrix(RealMatrix expected, NDArray out, int batch) {
    RealMatrix actual = matrix(out, batch);
    assertEquals(expected.getRowDimension(), actual.getRowDimension());
    assertEquals(expected.getColumnDimension(), actual.getColumnDimension());
    for (int r = 0; r < expected.getRowDimension(); r++) {
      for (int c = 0; c < expected.getColumnDimension(); c++) {
        assertEquals(expected.getEntry(r, c), actual.getEntry(r, c), 1e-12, "batch " + batch + " (" + r + ", " + c + ")");
      }
    }
  }

  @Property(tries = 60)
  void matricesAgreeWithCommonsMath(
      @ForAll @IntRange(min = 1, max = 6) int m, @ForAll @IntRange(min = 1, max = 6) int k,
      @ForAll @IntRange(min = 1, max = 6) int n, @ForAll long seed) {
    Random rng = new Random(seed);
    NDArray a = random(rng, m, k);
    NDArray b = random(rng, k, n);
    NDArray out = matmul(a, b);
    assertEquals(Shape.of(m, n), out.shape());
    assertMatrix(matrix(a, 0).multiply(matrix(b, 0)), out, 0);
  }

  @Test
  void handComputedProduct() {
    // [[1 2] [3 4]] x [[5 6] [7 8]] = [[19 22] [43 50]]
    NDArray a = NDArray.of(DType.F64, new int[] {2, 2}, 1, 2, 3, 4);
    NDArray b = NDArray.of(DType.F64, new int[] {2, 2}, 5, 6, 7, 8);
    assertEquals(NDArray.of(DType.F64, new int[] {2, 2}, 19, 22, 43, 50), matmul(a, b));
  }

  @Test
  void rightOperandWithFewerLeadingDimsIsShared() {
    Random rng = new Random(1);
    NDArray a = random(rng, 2, 3, 4);
    NDArray b = random(rng, 4, 5);
    NDArray out = matmul(a, b);
    assertEquals(Shape.of(2, 3, 5), out.shape());
    for (int i = 0; i < 2; i++) {
      assertMatrix(matrix(a, i).multiply(matrix(b, 0)), out, i);
    }
  }

  @Test
  void leftOperandWithFewerLeadingDimsIsShared() {
    Random rng = new Random(2);
    NDArray a = random(rng, 3, 4);
    NDArray b = random(rng, 2, 4, 5);
    NDArray out = matmul(a, b);
    assertEquals(Shape.of(2, 3, 5), out.shape());
    for (int i = 0; i < 2; i++) {
      assertMatrix(matrix(a, 0).multiply(matrix(b, i)), out, i);
    }
  }

  @Test
  void sizeOneLeadingDimsBroadcastAgainstEachOther() {
    Random rng = new Random(3);
    NDArray a = random(rng, 2, 1, 3, 4); // leading [2, 1]
    NDArray b = random(rng, 5, 4, 2); // leading [5]
    NDArray out = matmul(a, b);
    assertEquals(Shape.of(2, 5, 3, 2), out.shape());
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 5; j++) {
        assertMatrix(matrix(a, i).multiply(matrix(b, j)), out, i * 5 + j);
      }
    }
  }

  @Test
  void batchedRowsTimesWeights() {
    GraphBuilder builder = new GraphBuilder("dense");
    Tensor x = builder.input("x", DType.F64, Shape.BATCH, 4);
    Tensor w = builder.input("w", DType.F64, 4, 3);
    var graph = builder.build(x.matmul(w));
    Random rng = new Random(4);
    NDArray weights = random(rng, 4, 3);
    for (int n : new int[] {1, 3}) {
      NDArray rows = random(rng, n, 4);
      NDArray out = ReferenceInterpreter.run(graph, Map.of("x", rows, "w", weights)).get(0);
      assertEquals(Shape.of(n, 3), out.shape());
      assertMatrix(matrix(rows, 0).multiply(matrix(weights, 0)), out, 0);
    }
  }

  private static NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
    return apply(a, b, (x, y) -> x.builder().add(new Op.MatMul(transposeA, transposeB), x, y));
  }

  @Test
  void transposeFlagsReadOperandsTransposed() {
    Random rng = new Random(5);
    NDArray a = random(rng, 2, 4, 3); // each aᵀ is [3, 4]
    NDArray b = random(rng, 5, 4); // bᵀ is [4, 5]
    NDArray c = random(rng, 3, 4);
    NDArray ta = matmul(a, c, true, true); // aᵀ [3, 4] x cᵀ [4, 3]
    assertEquals(Shape.of(2, 3, 3), ta.shape());
    NDArray tb = matmul(c, b, false, true);
    assertEquals(Shape.of(3, 5), tb.shape());
    assertMatrix(matrix(c, 0).multiply(matrix(b, 0).transpose()), tb, 0);
    for (int i = 0; i < 2; i++) {
      assertMatrix(matrix(a, i).transpose().multiply(matrix(c, 0).transpose()), ta, i);
    }
  }

  @Test
  void transposedLeftOperandContractsOverTheBatch() {
    // xᵀ·g, the weight gradient of a dense layer: the inner dimension is the symbolic batch.
    GraphBuilder builder = new GraphBuilder("weight_grad");
    Tensor x = builder.input("x", DType.F64, Shape.BATCH, 3);
    Tensor g = builder.input("g", DType.F64, Shape.BATCH, 2);
    var graph = builder.build(builder.add(new Op.MatMul(true, false), x, g));
    Random rng = new Random(6);
    for (int n : new int[] {1, 4}) {
      NDArray xs = random(rng, n, 3);
      NDArray gs = random(rng, n, 2);
      NDArray out = ReferenceInterpreter.run(graph, Map.of("x", xs, "g", gs)).get(0);
      assertEquals(Shape.of(3, 2), out.shape());
      assertMatrix(matrix(xs, 0).transpose().multiply(matrix(gs, 0)), out, 0);
    }
  }

  @Test
  void f32ProductsAreRoundedOnceAtTheEnd() {
    NDArray a = NDArray.of(DType.F32, new int[] {1, 3}, 0.1f, 0.2f, 0.3f);
    NDArray b = NDArray.of(DType.F32, new int[] {3, 1}, 3f, 5f, 7f);
    NDArray out = apply(a, b, Tensor::matmul);
    double exact = Arrays.stream(new double[] {0.1f * 3.0, 0.2f * 5.0, 0.3f * 7.0}).sum();
    assertEquals(DType.F32, out.dtype());
    assertEquals((float) exact, out.item());
  }
}
