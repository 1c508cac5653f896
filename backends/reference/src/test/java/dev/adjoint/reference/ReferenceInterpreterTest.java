package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.dims;
import static dev.adjoint.reference.Fixtures.f64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferenceInterpreterTest {

  @Test
  void outputsComeInTheOrderTheGraphListsThem() {
    GraphBuilder b = new GraphBuilder("two");
    Tensor x = b.input("x", DType.F64, 2);
    Graph graph = b.build(x.times(3), x.plus(1));
    List<NDArray> outs = ReferenceInterpreter.run(graph, Map.of("x", f64(dims(2), 1, 2)));
    assertEquals(f64(dims(2), 3, 6), outs.get(0));
    assertEquals(f64(dims(2), 2, 3), outs.get(1));
  }

  @Test
  void evaluateReturnsExactlyTheDependenciesInGraphOrder() {
    GraphBuilder b = new GraphBuilder("deps");
    Tensor x = b.input("x", DType.F64, 2);
    Tensor y = b.input("y", DType.F64, 2);
    Tensor unused = y.exp();
    Tensor out = x.times(2).plus(1);
    Graph graph = b.build(out);
    Map<Node, NDArray> values = ReferenceInterpreter.evaluate(graph, Map.of("x", f64(dims(2), 1, 2)));
    assertEquals(List.of("x", "constant_1", "mul_1", "constant_2", "add_1"),
        values.keySet().stream().map(Node::name).toList());
    assertFalse(values.containsKey(unused.node()));
    assertEquals(f64(dims(2), 2, 4), values.get(graph.node("mul_1")));
  }

  @Test
  void constantsEvaluateToTheirValue() {
    GraphBuilder b = new GraphBuilder("constant");
    NDArray value = NDArray.of(DType.I32, dims(3), 4, 5, 6);
    Graph graph = b.build(b.constant(value));
    assertEquals(value, ReferenceInterpreter.run(graph, Map.of()).get(0));
  }

  @Test
  void customVjpForwardsTheSubgraphOutput() {
    GraphBuilder b = new GraphBuilder("custom");
    Tensor x = b.input("x", DType.F64, 3);
    Tensor y = b.customVjp("clipped_identity", List.of(x), in -> in.get(0).exp(), (in, out, ct) -> List.of(ct));
    NDArray result = ReferenceInterpreter.run(b.build(y), Map.of("x", f64(dims(3), 0, 1, 2))).get(0);
    assertEquals(1, result.get(0));
    assertEquals(Math.E, result.get(1), 1e-15);
    assertEquals(Math.exp(2), result.get(2), 1e-14);
  }

  @Test
  void parametersAndStatesComeFromFeeds() {
    GraphBuilder b = new GraphBuilder("dense");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 3);
    Tensor w = b.parameter("w", DType.F64, new Initializer.Normal(0, 1), 3, 2);
    Tensor scale = b.state("scale", DType.F64, Shape.of(2), new Initializer.Constant(10));
    Graph graph = b.build(x.matmul(w).times(scale));
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, 5));
    feeds.put("x", f64(dims(1, 3), 1, 0, 0));
    NDArray out = ReferenceInterpreter.run(graph, feeds).get(0);
    NDArray weights = feeds.get("w");
    // x picks row 0 of w, then scale multiplies by 10.
    assertEquals(10 * weights.at(0, 0), out.at(0, 0), 1e-15);
    assertEquals(10 * weights.at(0, 1), out.at(0, 1), 1e-15);
  }

  @Test
  void everyValueHasItsNodesDTypeAndResolvedShape() {
    GraphBuilder b = new GraphBuilder("types");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3);
    Tensor y = x.exp().sum(1).cast(DType.F64).reshape(Shape.BATCH, 1);
    Graph graph = b.build(y);
    Map<Node, NDArray> values = ReferenceInterpreter.evaluate(graph, Map.of("x", NDArray.zeros(DType.F32, Shape.of(4, 3))));
    for (Map.Entry<Node, NDArray> e : values.entrySet()) {
      assertEquals(e.getKey().shape().resolve(4), e.getValue().shape(), e.getKey().name());
      assertEquals(e.getKey().dtype(), e.getValue().dtype(), e.getKey().name());
    }
  }

  @Test
  void anUnboundBatchIsAnErrorNamingTheNode() {
    GraphBuilder b = new GraphBuilder("unbound");
    Tensor v = b.input("v", DType.F64, 3);
    Graph graph = b.build(b.add(new Op.Broadcast(Shape.batched(3)), v));
    AdjointException e = assertThrows(
        AdjointException.class, () -> ReferenceInterpreter.run(graph, Map.of("v", f64(dims(3), 1, 2, 3))));
    assertTrue(e.getMessage().contains("'broadcast_1' (broadcast)"), e.getMessage());
    assertTrue(e.getMessage().contains("no batched feed binds N"), e.getMessage());
  }
}
