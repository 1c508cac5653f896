package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Shape;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import org.junit.jupiter.api.Test;

class EliminateDeadNodesTest {
  private final Pass pass = new EliminateDeadNodes();

  @Test
  void dropsDeadComputationsAndConstantsButKeepsEveryLeaf() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    b.input("unused", F64, 3);
    Tensor w = b.parameter("w", F64, Initializer.ones(), 2);
    b.parameter("unused_w", F64, Initializer.zeros(), 2);
    b.state("count", F64, Shape.scalar(), Initializer.zeros());
    Tensor dead = x.times(b.scalar(F64, 3)).exp();
    dead.plus(w);
    Graph g = b.build(x.plus(w).tanh());
    assertEquals(
        """
        graph g {
          x = input : f64[2]
          unused = input : f64[3]
          w = parameter{init=constant(value=1.0), key=1} : f64[2]
          unused_w = parameter{init=constant(value=0.0), key=2} : f64[2]
          count = state{init=constant(value=0.0)} : f64[]
          add_2 = add(x, w) : f64[2]
          tanh_1 = tanh(add_2) : f64[2]
          return tanh_1
        }
        """,
        GraphPrinter.print(pass.run(g)));
    Semantics.assertSameOutputs(g, pass.run(g), Semantics.randomFeeds(g, 1));
  }

  @Test
  void everyOutputAndWhatItReadsStays() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 2);
    Tensor e = x.exp();
    Tensor s = e.sum(1);
    e.log();
    Graph g = b.build(s, x, s);
    Graph h = pass.run(g);
    assertEquals(List.of("input", "exp", "reduce_sum"), Semantics.ops(h));
    assertEquals(List.of(h.node("reduce_sum_1"), h.node("x"), h.node("reduce_sum_1")), h.outputs());
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 2));
  }

  @Test
  void whatAStateUpdateReadsIsLive() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 4, 2);
    Tensor running = b.state("running_mean", F64, Shape.of(2), Initializer.zeros());
    Tensor batchMean = x.mean(0);
    b.assign(running, running.times(0.9).plus(batchMean.times(0.1)));
    x.exp(); // dead
    Graph g = b.build(x.minus(batchMean));
    Graph h = pass.run(g);
    assertEquals(List.of("input", "state", "reduce_mean", "constant", "mul", "constant", "mul", "add", "sub"),
        Semantics.ops(h));
    assertSame(h.node("add_1"), h.updates().getFirst().value());
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 3));
  }

  @Test
  void aGraphWithoutDeadNodesIsReturnedAsItIs() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    b.input("unused", F64, 2);
    Graph g = b.build(x.exp());
    assertSame(g, pass.run(g));
  }
}
