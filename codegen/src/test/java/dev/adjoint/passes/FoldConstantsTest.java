package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static dev.adjoint.ir.DType.I32;
import static dev.adjoint.ir.DType.I64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.runtime.Philox;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FoldConstantsTest {
  private final Pass pass = new FoldConstants(ReferenceInterpreter::run);

  private static NDArray valueOf(Node node) {
    return ((Op.Constant) node.op()).value();
  }

  @Test
  void aConstantSubgraphBecomesOneConstantUnderTheLastNodesName() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Tensor c = b.constant(F64, new int[] {2}, 1, 4).sqrt().plus(b.scalar(F64, 0.5)).named("c");
    Graph g = b.build(x.times(c));
    Graph folded = new EliminateDeadNodes().run(pass.run(g));
    assertEquals(
        """
        graph g {
          x = input : f64[2]
          c = constant{value=[1.5, 2.5]} : f64[2]
          mul_1 = mul(x, c) : f64[2]
          return mul_1
        }
        """,
        GraphPrinter.print(folded));
    Semantics.assertSameOutputs(g, folded, Semantics.randomFeeds(g, 1));
  }

  @Test
  void foldedValuesHaveTheNodesDtype() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor third = b.scalar(F32, 1).div(b.scalar(F32, 3));
    Tensor half = b.scalar(I32, 7).div(b.scalar(I32, 2)).cast(F64);
    Graph g = pass.run(b.build(third, half));
    assertEquals(NDArray.scalar(F32, (float) (1.0 / 3)), valueOf(g.output(0)));
    assertEquals(NDArray.scalar(F64, 3), valueOf(g.output(1)));
  }

  @Test
  void randomOpsWithAConstantStepFoldToTheirDraws() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor like = b.constant(NDArray.zeros(F64, Shape.of(2, 3)));
    Tensor step = b.scalar(I64, 11);
    Graph g = pass.run(b.build(b.add(new Op.RandomUniform(5, 7, F64), like, step)));
    NDArray draws = valueOf(g.output(0));
    for (int i = 0; i < 6; i++) {
      assertEquals(Philox.uniform(5, 11, 7, i), draws.get(i));
    }
  }

  @Test
  void sizeOfFoldsWhenTheCountedAxesAreStatic() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 3, 4);
    Graph g = b.build(x.sum().div(x.sizeOf()), x.sum(1, 2).div(x.sizeOf(1, 2)));
    Graph h = pass.run(g);
    assertEquals(1, Semantics.count(h, Op.SizeOf.class), "the count over N stays");
    assertEquals(NDArray.scalar(F64, 12), valueOf(h.node("size_of_2")));
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 2, 2, Map.of()));
  }

  @Test
  void valuesLargerThanTheLimitStay() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor big = b.scalar(F64, 2).broadcastTo(64, 65);
    Tensor batched = b.scalar(F64, 2).broadcastTo(Shape.BATCH, 3);
    Tensor x = b.input("x", F64, Shape.BATCH, 3);
    Graph g = b.build(big, x.plus(batched));
    assertSame(g, pass.run(g));
    Graph bigger = new FoldConstants(ReferenceInterpreter::run, 64 * 65).run(g);
    assertEquals(NDArray.filled(F64, Shape.of(64, 65), 2), valueOf(bigger.output(0)));
    assertEquals(1, Semantics.count(bigger, Op.Broadcast.class), "a batched shape has no size to fold to");
  }

  @Test
  void aNodeWhoseEvaluationFailsIsLeftForRunTime() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", I32, 2);
    b.scalar(I32, 1).div(b.scalar(I32, 0)); // dead: never fails at run time
    Tensor labels = b.constant(I32, new int[] {2}, 0, 5).oneHot(3, F64); // label 5 out of range
    Graph g = b.build(x.plus(b.scalar(I32, 1).plus(b.scalar(I32, 2))), labels);
    Graph h = pass.run(g);
    assertEquals("div", h.node("div_1").op().mnemonic(), "the division by zero stays");
    assertEquals("one_hot", h.node("one_hot_1").op().mnemonic(), "the one-hot of a bad label stays");
    assertEquals(NDArray.scalar(I32, 3), valueOf(h.node("add_1")));
  }

  @Test
  void anEvaluatorGivingTheWrongTypeIsAnError() {
    GraphBuilder b = new GraphBuilder("g");
    Graph g = b.build(b.scalar(F64, 1).exp());
    Pass wrong = new FoldConstants((graph, feeds) -> List.of(NDArray.scalar(F32, 1)));
    AdjointException e = assertThrows(AdjointException.class, () -> wrong.run(g));
    assertTrue(e.getMessage().contains("the evaluator gave f32[] for 'exp_1' (exp), which has type f64[]"),
        e.getMessage());
  }

  @Test
  void aGraphWithNothingToFoldIsReturnedAsItIs() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Graph g = b.build(x.exp().plus(b.scalar(F64, 1)));
    assertSame(g, pass.run(g));
    assertThrows(AdjointException.class, () -> new FoldConstants(ReferenceInterpreter::run, 0));
  }
}
