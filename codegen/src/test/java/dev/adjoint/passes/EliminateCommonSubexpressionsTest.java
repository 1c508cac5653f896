package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import org.junit.jupiter.api.Test;

class EliminateCommonSubexpressionsTest {
  private final Pass pass = new EliminateCommonSubexpressions();

  /** CSE then DCE, so merged-away nodes are gone. */
  private Graph clean(Graph g) {
    return new EliminateDeadNodes().run(pass.run(g));
  }

  @Test
  void duplicatesMergeTransitively() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 3);
    Tensor w = b.parameter("w", F64, Initializer.ones(), 3, 4);
    Tensor first = x.matmul(w).relu();
    Tensor second = x.matmul(w).relu();
    Graph g = b.build(first.plus(second));
    assertEquals(
        """
        graph g {
          x = input : f64[2,3]
          w = parameter{init=constant(value=1.0), key=1} : f64[3,4]
          matmul_1 = matmul(x, w) : f64[2,4]
          relu_1 = relu(matmul_1) : f64[2,4]
          add_1 = add(relu_1, relu_1) : f64[2,4]
          return add_1
        }
        """,
        GraphPrinter.print(clean(g)));
    Semantics.assertSameOutputs(g, pass.run(g), Semantics.randomFeeds(g, 1));
  }

  @Test
  void equalConstantsMergeAndDifferentOnesDoNot() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Tensor sum = x.times(2).plus(x.times(2)) // the two scalar 2s, then the two products, merge
        .plus(b.constant(F64, new int[] {2}, 2, 2)) // same values, another shape
        .plus(x.times(0.0)).plus(x.times(-0.0)); // equal as numbers, different values
    Tensor single = b.input("y", F32).times(2); // another dtype
    Graph g = b.build(sum, single);
    assertEquals(6, Semantics.count(g, Op.Constant.class));
    assertEquals(9, Semantics.count(g, Op.Binary.class));
    Graph h = clean(g);
    assertEquals(5, Semantics.count(h, Op.Constant.class));
    assertEquals(8, Semantics.count(h, Op.Binary.class));
    assertEquals(List.of("x", "constant_1", "mul_1", "add_1", "constant_3", "add_2", "constant_4", "mul_3", "add_3",
        "constant_5", "mul_4", "add_4", "y", "constant_6", "mul_5"), h.nodes().stream().map(Node::name).toList());
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 2));
  }

  @Test
  void leavesNeverMerge() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Tensor y = b.input("y", F64, 2);
    Tensor s = b.state("s", F64, Shape.of(2), Initializer.zeros());
    Tensor t = b.state("t", F64, Shape.of(2), Initializer.zeros());
    Graph g = b.build(x.plus(y).plus(s).plus(t));
    assertSame(g, pass.run(g));
  }

  @Test
  void differentAttributesDoNotMerge() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 3);
    Graph g = b.build(x.sum(0), x.sum(true, 0), x.mean(0), x.transpose().transpose().sum(1), x.sum(1));
    Graph h = pass.run(g);
    assertEquals(Semantics.count(g, Op.Reduce.class), Semantics.count(h, Op.Reduce.class));
    assertSame(g, h);
  }

  @Test
  void randomOpsWithTheSameSeedKeyAndStepMerge() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 4, 5);
    Tensor step = b.step();
    Tensor first = b.add(new Op.Dropout(0.5, 9, 3), x, step);
    Tensor second = b.add(new Op.Dropout(0.5, 9, 3), x, step);
    Tensor otherKey = b.add(new Op.Dropout(0.5, 9, 4), x, step);
    Tensor noise = b.add(new Op.RandomUniform(9, 5, DType.F64), x, step);
    Tensor sameNoise = b.add(new Op.RandomUniform(9, 5, DType.F64), x, step);
    Graph g = b.build(first.minus(second), first.plus(otherKey), noise.minus(sameNoise));
    Graph h = clean(g);
    assertEquals(2, Semantics.count(h, Op.Dropout.class));
    assertEquals(1, Semantics.count(h, Op.RandomUniform.class));
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 3));
  }

  @Test
  void aGraphWithoutDuplicatesIsReturnedAsItIs() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Graph g = b.build(x.exp().plus(x.log()));
    assertSame(g, pass.run(g));
    Graph merged = pass.run(b.build(x.exp().plus(x.exp())));
    assertSame(merged, pass.run(merged));
  }
}
