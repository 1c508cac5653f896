package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's Java example, verbatim, with its results checked by hand-written arithmetic. */
class ReadmeExampleTest {

  @Test
  void javaExampleComputesTheLossAndGradients() {
    // ---- as in README.md ----
    GraphBuilder g = new GraphBuilder("linear");
    Tensor x = g.input("x", DType.F64, Shape.BATCH, 3); // [N, 3]: the batch size is chosen at run time
    Tensor y = g.input("y", DType.F64, Shape.BATCH, 1);
    Tensor w = g.parameter("w", DType.F64, Initializer.xavierUniform(), 3, 1);
    Tensor b = g.parameter("b", DType.F64, Initializer.zeros(), 1);
    Tensor loss = x.matmul(w).plus(b).minus(y).square().mean();
    List<Tensor> grads = Autodiff.gradients(loss, List.of(w, b));
    Graph graph = g.build(loss, grads.get(0), grads.get(1));

    List<NDArray> out = ReferenceInterpreter.run(graph, Map.of(
        "x", NDArray.of(DType.F64, new int[] {2, 3}, 1, 2, 3, 4, 5, 6),
        "y", NDArray.of(DType.F64, new int[] {2, 1}, 1, 0),
        "w", NDArray.of(DType.F64, new int[] {3, 1}, 0.1, 0.2, 0.3),
        "b", NDArray.of(DType.F64, new int[] {1}, 0)));
    // ---- end of the README's code ----

    double[][] xs = {{1, 2, 3}, {4, 5, 6}};
    double[] ys = {1, 0};
    double[] ws = {0.1, 0.2, 0.3};
    double[] r = new double[2];
    double loss2 = 0;
    for (int n = 0; n < 2; n++) {
      r[n] = xs[n][0] * ws[0] + xs[n][1] * ws[1] + xs[n][2] * ws[2] - ys[n];
      loss2 += r[n] * r[n] / 2;
    }
    assertEquals(loss2, out.get(0).item(), 1e-14);
    for (int k = 0; k < 3; k++) {
      assertEquals(r[0] * xs[0][k] + r[1] * xs[1][k], out.get(1).get(k), 1e-14);
    }
    assertEquals(r[0] + r[1], out.get(2).item(), 1e-14);
  }
}
