package dev.adjoint.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.ir.Weights;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Freezing an inference graph's weights, then folding batch norm and constants: the weights'
 * arithmetic leaves the graph, and the graph computes what it computed with the weights fed.
 */
class FreezeParametersTest {
  private static final DType F64 = DType.F64;

  /** conv → batch norm (inference) → relu → conv → batch norm, with running statistics as state. */
  private static Graph convNet() {
    GraphBuilder b = new GraphBuilder("frozen").training(false);
    Tensor x = b.input("x", F64, Shape.BATCH, 3, 6, 6);
    Tensor h = x.conv2d(b.parameter("w1", F64, Initializer.heNormal(), 4, 3, 3, 3), 1, Padding.same());
    h = BatchNorm.create(b, "bn1", F64, 4).invoke(h).relu();
    h = h.conv2d(b.parameter("w2", F64, Initializer.heNormal(), 5, 4, 1, 1), 1, Padding.valid());
    return b.build(BatchNorm.create(b, "bn2", F64, 5).invoke(h));
  }

  /** Initial weights with running statistics away from their initial 0 and 1, so folding has work. */
  private static Map<String, NDArray> weights(Graph graph) {
    Map<String, NDArray> weights = new HashMap<>(Weights.initialize(graph, 11));
    weights.replaceAll((name, value) -> name.endsWith("mean") || name.endsWith("variance") || name.endsWith("var")
        ? NDArray.generate(value.dtype(), value.shape(), i -> 0.5 + 0.25 * (i % 3)) : value);
    return weights;
  }

  @Test
  void frozenAndFoldedTheGraphHasNoWeightArithmeticLeftAndComputesTheSame() {
    Graph graph = convNet();
    Map<String, NDArray> weights = weights(graph);
    Graph folded = Pipeline.of(new FreezeParameters(weights), new FoldBatchNorm(),
        new FoldConstants(ReferenceInterpreter::run, 1 << 20), new EliminateDeadNodes()).run(graph);
    assertEquals(0, Semantics.count(folded, Op.Parameter.class), Semantics.ops(folded).toString());
    assertEquals(0, Semantics.count(folded, Op.State.class));
    assertEquals(0, Semantics.count(folded, Op.BatchNormInference.class));
    for (Node n : folded.nodes()) {
      if (n.op() instanceof Op.Conv2d) {
        assertTrue(n.input(1).op() instanceof Op.Constant, "the rescaled weight is a constant: " + n.describe());
      }
    }
    NDArray x = NDArray.generate(F64, Shape.of(2, 3, 6, 6), i -> Math.sin(0.37 * i));
    Map<String, NDArray> fed = new HashMap<>(weights);
    fed.put("x", x);
    NDArray expected = ReferenceInterpreter.run(graph, fed).getFirst();
    NDArray actual = ReferenceInterpreter.run(folded, Map.of("x", x)).getFirst();
    assertEquals(expected.shape(), actual.shape());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), actual.get(i), 1e-12 * Math.max(1, Math.abs(expected.get(i))), "element " + i);
    }
  }

  @Test
  void weightsNotNamedStayParameters() {
    Graph graph = convNet();
    Graph partly = new FreezeParameters(Map.of("w1", weights(graph).get("w1"))).run(graph);
    assertEquals(Semantics.count(graph, Op.Parameter.class) - 1, Semantics.count(partly, Op.Parameter.class));
  }

  @Test
  void anUnknownNameIsAnErrorNamingIt() {
    Graph graph = convNet();
    AdjointException e = assertThrows(AdjointException.class,
        () -> new FreezeParameters(Map.of("w3", NDArray.scalar(F64, 1))).run(graph));
    assertTrue(e.getMessage().contains("w3"), e.getMessage());
  }

  @Test
  void aValueOfTheWrongTypeIsAnErrorNamingBothTypes() {
    Graph graph = convNet();
    AdjointException e = assertThrows(AdjointException.class,
        () -> new FreezeParameters(Map.of("w1", NDArray.zeros(F64, Shape.of(4, 3, 3, 1)))).run(graph));
    assertTrue(e.getMessage().contains("w1") && e.getMessage().contains("f64[4,3,3,1]")
        && e.getMessage().contains("f64[4,3,3,3]"), e.getMessage());
  }

  @Test
  void aParameterTheGraphUpdatesCannotBeFrozen() {
    GraphBuilder b = new GraphBuilder("step");
    Tensor w = b.parameter("w", F64, Initializer.ones(), 3);
    Graph base = b.build(w.times(2));
    Graph step = new Graph("step", base.nodes(), base.outputs(),
        List.of(new StateUpdate(base.node("w"), base.output(0))));
    AdjointException e = assertThrows(AdjointException.class,
        () -> new FreezeParameters(Map.of("w", NDArray.filled(F64, Shape.of(3), 1))).run(step));
    assertTrue(e.getMessage().contains("updated"), e.getMessage());
  }
}
