package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.autodiff.Losses;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AutodiffTest {
  private static final DType F64 = DType.F64;

  private static NDArray random(Shape shape, long seed) {
    Random r = new Random(seed);
    return NDArray.generate(F64, shape, i -> r.nextDouble() * 2 - 1);
  }

  private static List<NDArray> run(Graph g, Map<String, NDArray> feeds) {
    return ReferenceInterpreter.run(g, feeds);
  }

  @Test
  void residualFanOutSumsBothPaths() {
    // y = sum(x + tanh(x)): dy/dx = 1 + (1 - tanh²(x)), the identity path plus the branch.
    GraphBuilder b = new GraphBuilder("residual");
    Tensor x = b.input("x", F64, 5);
    Tensor loss = x.plus(x.tanh()).sum();
    Graph g = b.build(Autodiff.gradients(loss, List.of(x)));
    NDArray xv = random(Shape.of(5), 1);
    NDArray dx = run(g, Map.of("x", xv)).get(0);
    for (int i = 0; i < 5; i++) {
      double t = Math.tanh(xv.get(i));
      assertEquals(1 + (1 - t * t), dx.get(i), 1e-14);
    }
  }

  @Test
  void broadcastEdgesAreSummedBackToTheOperandShape() {
    // loss = sum(x[2,3] * b[3]) -> dL/db[j] = sum_i x[i, j]; dL/ds (a scalar) = sum(x).
    GraphBuilder b = new GraphBuilder("bcast");
    Tensor x = b.input("x", F64, 2, 3);
    Tensor v = b.input("v", F64, 3);
    Tensor s = b.input("s", F64);
    Tensor loss = x.times(v).times(s).sum();
    Graph g = b.build(Autodiff.gradients(loss, List.of(v, s)));
    NDArray xv = random(Shape.of(2, 3), 2);
    NDArray vv = random(Shape.of(3), 3);
    List<NDArray> out = run(g, Map.of("x", xv, "v", vv, "s", NDArray.scalar(F64, 2.0)));
    assertEquals(Shape.of(3), out.get(0).shape());
    assertEquals(Shape.scalar(), out.get(1).shape());
    double total = 0;
    for (int j = 0; j < 3; j++) {
      double col = xv.at(0, j) + xv.at(1, j);
      assertEquals(2.0 * col, out.get(0).get(j), 1e-14);
      total += col * vv.get(j);
    }
    assertEquals(total, out.get(1).item(), 1e-14);
  }

  @Test
  void stopGradientBlocksOnePath() {
    // loss = sum(x * stop(x)) -> d/dx = stop(x) = x (only the unstopped factor contributes).
    GraphBuilder b = new GraphBuilder("stop");
    Tensor x = b.input("x", F64, 4);
    Tensor loss = x.times(x.stopGradient()).sum();
    Graph g = b.build(Autodiff.gradients(loss, List.of(x)));
    NDArray xv = random(Shape.of(4), 4);
    NDArray dx = run(g, Map.of("x", xv)).get(0);
    for (int i = 0; i < 4; i++) {
      assertEquals(xv.get(i), dx.get(i), 1e-15);
    }
  }

  @Test
  void customVjpReplacesTheSubgraphGradient() {
    // Forward: y = x³; the user's rule says the gradient is 7·g (a deliberately different rule),
    // so the result shows the rule was used and the subgraph was not differentiated.
    GraphBuilder b = new GraphBuilder("custom");
    Tensor x = b.input("x", F64, 3);
    Tensor y =
        b.customVjp(
            "seven",
            List.of(x),
            in -> in.get(0).times(in.get(0)).times(in.get(0)),
            (inputs, output, g) -> List.of(g.times(7.0)));
    Graph g = b.build(y, Autodiff.gradients(y.sum(), List.of(x)).get(0));
    NDArray xv = random(Shape.of(3), 5);
    List<NDArray> out = run(g, Map.of("x", xv));
    for (int i = 0; i < 3; i++) {
      assertEquals(Math.pow(xv.get(i), 3), out.get(0).get(i), 1e-14);
      assertEquals(7.0, out.get(1).get(i), 0);
    }
  }

  @Test
  void unreachableWrtGetsZeros() {
    GraphBuilder b = new GraphBuilder("zeros");
    Tensor x = b.input("x", F64, Shape.BATCH, 2);
    Tensor unused = b.input("unused", F64, Shape.BATCH, 3);
    Tensor loss = x.sum();
    Graph g = b.build(Autodiff.gradients(loss, List.of(unused)));
    NDArray out =
        run(g, Map.of("x", random(Shape.of(4, 2), 6), "unused", random(Shape.of(4, 3), 7))).get(0);
    assertEquals(Shape.of(4, 3), out.shape());
    for (int i = 0; i < out.size(); i++) {
      assertEquals(0.0, out.get(i));
    }
  }

  @Test
  void denseWeightGradientContractsOverTheSymbolicBatch() {
    // loss = sum(x·W) with x [N,3]: dL/dW[k, j] = sum_n x[n, k].
    GraphBuilder b = new GraphBuilder("dense");
    Tensor x = b.input("x", F64, Shape.BATCH, 3);
    Tensor w = b.parameter("w", F64, Initializer.xavierUniform(), 3, 2);
    Graph g = b.build(Autodiff.gradients(x.matmul(w).sum(), List.of(w)));
    assertEquals(Shape.of(3, 2), g.output(0).shape());
    NDArray xv = random(Shape.of(5, 3), 8);
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(g, 1));
    feeds.put("x", xv);
    NDArray dw = run(g, feeds).get(0);
    for (int k = 0; k < 3; k++) {
      double col = 0;
      for (int n = 0; n < 5; n++) {
        col += xv.at(n, k);
      }
      assertEquals(col, dw.at(k, 0), 1e-14);
      assertEquals(col, dw.at(k, 1), 1e-14);
    }
  }

  /**
   * Grad of grad: the Hessian-vector product of an MLP loss, built by differentiating ⟨∇L, v⟩,
   * matches central differences of the gradient: (∇L(w + εv) − ∇L(w − εv)) / 2ε.
   */
  @Test
  void hessianVectorProductMatchesFiniteDifferencesOfTheGradient() {
    GraphBuilder b = new GraphBuilder("hvp").seed(11);
    Tensor x = b.input("x", F64, Shape.BATCH, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor w1 = b.parameter("w1", F64, Initializer.xavierUniform(), 4, 5);
    Tensor b1 = b.parameter("b1", F64, Initializer.zeros(), 5);
    Tensor w2 = b.parameter("w2", F64, Initializer.xavierUniform(), 5, 3);
    Tensor h = x.matmul(w1).plus(b1).tanh();
    Tensor loss = Losses.softmaxCrossEntropy(h.matmul(w2), labels);
    List<Tensor> params = List.of(w1, b1, w2);
    List<Tensor> grads = Autodiff.gradients(loss, params);
    List<Tensor> directions = new ArrayList<>();
    Tensor dot = null;
    for (int i = 0; i < params.size(); i++) {
      Tensor v = b.input("v" + i, params.get(i).type());
      directions.add(v);
      Tensor term = grads.get(i).times(v).sum();
      dot = dot == null ? term : dot.plus(term);
    }
    List<Tensor> hv = Autodiff.gradients(dot, params);
    List<Tensor> outputs = new ArrayList<>(grads);
    outputs.addAll(hv);
    Graph g = b.build(outputs);

    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(g, 3));
    feeds.put("x", random(Shape.of(6, 4), 9));
    feeds.put("labels", NDArray.of(DType.I64, new int[] {6}, 0, 2, 1, 1, 0, 2));
    Map<String, NDArray> v = new HashMap<>();
    for (int i = 0; i < params.size(); i++) {
      v.put("v" + i, random(params.get(i).shape(), 20 + i));
    }
    feeds.putAll(v);
    List<NDArray> exact = run(g, feeds);

    double eps = 1e-5;
    List<NDArray> plus = run(g, shifted(feeds, params, v, eps));
    List<NDArray> minus = run(g, shifted(feeds, params, v, -eps));
    for (int i = 0; i < params.size(); i++) {
      NDArray analytic = exact.get(params.size() + i);
      for (int e = 0; e < analytic.size(); e++) {
        double numeric = (plus.get(i).get(e) - minus.get(i).get(e)) / (2 * eps);
        assertEquals(numeric, analytic.get(e), 1e-6 + 1e-4 * Math.abs(numeric),
            "HVP of " + params.get(i).name() + " element " + e);
      }
    }
  }

  private static Map<String, NDArray> shifted(
      Map<String, NDArray> feeds, List<Tensor> params, Map<String, NDArray> v, double eps) {
    Map<String, NDArray> out = new HashMap<>(feeds);
    for (int i = 0; i < params.size(); i++) {
      NDArray p = feeds.get(params.get(i).name());
      NDArray d = v.get("v" + i);
      out.put(params.get(i).name(), NDArray.generate(F64, p.shape(), e -> p.get(e) + eps * d.get(e)));
    }
    return out;
  }

  @Test
  void gradientOfANonScalarIsAClearError() {
    GraphBuilder b = new GraphBuilder("bad");
    Tensor x = b.input("x", F64, 3);
    AdjointException e = assertThrows(AdjointException.class, () -> Autodiff.gradients(x.exp(), List.of(x)));
    assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    assertTrue(e.getMessage().contains("exp_1"), e.getMessage());
  }

  @Test
  void gradientWithRespectToAnIntegerIsAClearError() {
    GraphBuilder b = new GraphBuilder("bad");
    Tensor x = b.input("x", F64, 3);
    Tensor k = b.input("k", DType.I32, 3);
    Tensor loss = x.times(k.cast(F64)).sum();
    AdjointException e = assertThrows(AdjointException.class, () -> Autodiff.gradients(loss, List.of(k)));
    assertTrue(e.getMessage().contains("'k'"), e.getMessage());
  }

  @Test
  void gradGraphKeepsTheForwardGraphAndAppendsTheBackwardPass() {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor x = b.input("x", F64, Shape.BATCH, 2);
    Tensor w = b.parameter("w", F64, Initializer.xavierUniform(), 2, 1);
    Tensor loss = x.matmul(w).square().mean().named("loss");
    Graph forward = b.build(loss);
    Graph backward = Autodiff.grad(forward, "loss", List.of("w"));
    assertEquals(forward.nodes(), backward.nodes().subList(0, forward.nodes().size()));
    assertEquals(2, backward.outputs().size());
    assertEquals(forward.node("loss"), backward.output(0));
    assertEquals(w.type(), backward.output(1).type());
  }
}
