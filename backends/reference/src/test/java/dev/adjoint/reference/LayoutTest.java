package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.apply;
import static dev.adjoint.reference.Fixtures.dims;
import static dev.adjoint.reference.Fixtures.f64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class LayoutTest {

  private static NDArray iota(int... dims) {
    Shape shape = Shape.of(dims);
    return NDArray.generate(DType.F64, shape, i -> i);
  }

  @Test
  void reshapeKeepsRowMajorOrder() {
    NDArray out = apply(iota(2, 3), x -> x.reshape(3, 2));
    assertEquals(Shape.of(3, 2), out.shape());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, out.toDoubleArray());
  }

  @Test
  void transposeMovesEachElement() {
    NDArray x = iota(2, 3, 4);
    NDArray out = apply(x, t -> t.transpose(2, 0, 1));
    assertEquals(Shape.of(4, 2, 3), out.shape());
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 4; k++) {
          assertEquals(x.at(i, j, k), out.at(k, i, j));
        }
      }
    }
  }

  @Property(tries = 50)
  void transposeThenInverseIsTheIdentity(
      @ForAll @IntRange(min = 1, max = 4) int a, @ForAll @IntRange(min = 1, max = 4) int b,
      @ForAll @IntRange(min = 1, max = 4) int c, @ForAll @IntRange(min = 0, max = 5) int which) {
    int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int[] perm = perms[which];
    int[] inverse = new int[3];
    for (int i = 0; i < 3; i++) {
      inverse[perm[i]] = i;
    }
    NDArray x = iota(a, b, c);
    assertEquals(x, apply(x, t -> t.transpose(perm).transpose(inverse)));
  }

  @Test
  void broadcastRepeatsSizeOneAndMissingDims() {
    assertArrayEquals(new double[] {0, 1, 2, 0, 1, 2}, apply(iota(3), x -> x.broadcastTo(2, 3)).toDoubleArray());
    assertArrayEquals(new double[] {0, 0, 0, 1, 1, 1}, apply(iota(2, 1), x -> x.broadcastTo(2, 3)).toDoubleArray());
  }

  @Test
  void sliceTakesAWindow() {
    // [[0 1 2 3] [4 5 6 7] [8 9 10 11]] rows 1..3, columns 1..3
    NDArray out = apply(iota(3, 4), x -> x.slice(new int[] {1, 1}, new int[] {3, 3}));
    assertEquals(Shape.of(2, 2), out.shape());
    assertArrayEquals(new double[] {5, 6, 9, 10}, out.toDoubleArray());
  }

  @Test
  void padSurroundsWithTheConstant() {
    NDArray out = apply(iota(2, 2), x -> x.pad(new int[] {1, 0}, new int[] {0, 2}, -1));
    assertEquals(Shape.of(3, 4), out.shape());
    assertArrayEquals(new double[] {-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1}, out.toDoubleArray());
  }

  @Test
  void concatJoinsThreeOperands() {
    GraphBuilder b = new GraphBuilder("concat");
    Tensor x = b.input("x", DType.F64, 2, 1);
    Tensor y = b.input("y", DType.F64, 2, 2);
    Tensor z = b.input("z", DType.F64, 2, 1);
    NDArray out = ReferenceInterpreter.run(
        b.build(x.concat(1, y, z)),
        Map.of("x", f64(dims(2, 1), 1, 2), "y", f64(dims(2, 2), 3, 4, 5, 6), "z", f64(dims(2, 1), 7, 8))).get(0);
    assertEquals(Shape.of(2, 4), out.shape());
    assertArrayEquals(new double[] {1, 3, 4, 7, 2, 5, 6, 8}, out.toDoubleArray());
  }

  @Test
  void concatAlongTheFirstAxis() {
    NDArray out = apply(iota(1, 2), x -> x.concat(0, x.times(10)));
    assertArrayEquals(new double[] {0, 1, 0, 10}, out.toDoubleArray());
  }

  @Test
  void batchedLayoutOpsResolveN() {
    GraphBuilder b = new GraphBuilder("batched");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 6);
    Tensor bias = b.input("bias", DType.F64, 3);
    Tensor window = x.slice(1, 2, 5);
    Tensor grid = x.reshape(Shape.BATCH, 2, 3);
    Tensor shifted = b.add(new Op.Broadcast(Shape.batched(3)), bias).plus(window);
    var graph = b.build(window, grid, shifted);
    for (int n : new int[] {1, 3}) {
      NDArray xs = iota(n, 6);
      List<NDArray> outs = ReferenceInterpreter.run(graph, Map.of("x", xs, "bias", f64(dims(3), 100, 200, 300)));
      assertEquals(Shape.of(n, 3), outs.get(0).shape());
      assertEquals(Shape.of(n, 2, 3), outs.get(1).shape());
      assertArrayEquals(xs.toDoubleArray(), outs.get(1).toDoubleArray());
      for (int r = 0; r < n; r++) {
        for (int c = 0; c < 3; c++) {
          assertEquals(xs.at(r, c + 2), outs.get(0).at(r, c));
          assertEquals(100 * (c + 1) + xs.at(r, c + 2), outs.get(2).at(r, c));
        }
      }
    }
  }
}
