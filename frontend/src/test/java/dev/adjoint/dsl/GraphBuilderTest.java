package dev.adjoint.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphBuilderTest {

  @Test
  void buildsATopologicallyOrderedImmutableGraph() {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor x = b.input("x", DType.F32, -1, 4);
    Tensor w = b.parameter("w", DType.F32, Initializer.xavierUniform(), 4, 2);
    Tensor y = x.matmul(w).relu().named("y");
    Graph g = b.build(y);
    assertEquals(List.of("x", "w", "matmul_1", "y"), g.nodes().stream().map(n -> n.name()).toList());
    assertEquals(g.node("y"), g.output(0));
    assertEquals(List.of(g.node("x")), g.inputs());
    assertEquals(List.of(g.node("w")), g.parameters());
    assertThrows(UnsupportedOperationException.class, () -> g.nodes().add(g.node("x")));
  }

  @Test
  void scopesPrefixNames() {
    GraphBuilder b = new GraphBuilder("s");
    Tensor w = b.scope("block1", () -> b.scope("dense", () -> b.parameter("w", DType.F32, Initializer.zeros(), 2)));
    assertEquals("block1/dense/w", w.name());
  }

  @Test
  void renamingAUsedNodeIsRefused() {
    GraphBuilder b = new GraphBuilder("r");
    Tensor x = b.input("x", DType.F32, 2);
    Tensor e = x.exp();
    e.plus(x);
    AdjointException ex = assertThrows(AdjointException.class, () -> e.named("z"));
    assertTrue(ex.getMessage().contains("already used"), ex.getMessage());
  }

  @Test
  void duplicateLeafNamesAreRefused() {
    GraphBuilder b = new GraphBuilder("d");
    b.input("x", DType.F32, 2);
    AdjointException ex = assertThrows(AdjointException.class, () -> b.input("x", DType.F32, 2));
    assertTrue(ex.getMessage().contains("'x'"), ex.getMessage());
  }

  @Test
  void tensorsOfAnotherGraphAreRefused() {
    Tensor x = new GraphBuilder("a").input("x", DType.F32, 2);
    Tensor y = new GraphBuilder("b").input("y", DType.F32, 2);
    AdjointException ex = assertThrows(AdjointException.class, () -> y.plus(x));
    assertTrue(ex.getMessage().contains("belongs to graph 'a'"), ex.getMessage());
  }

  @Test
  void dropoutUsesTheSharedStepInputAndFreshKeys() {
    GraphBuilder b = new GraphBuilder("drop").seed(9);
    Tensor x = b.input("x", DType.F32, 8);
    Tensor d1 = x.dropout(0.5);
    Tensor d2 = d1.dropout(0.5);
    Op.Dropout o1 = (Op.Dropout) d1.node().op();
    Op.Dropout o2 = (Op.Dropout) d2.node().op();
    assertEquals(9, o1.seed());
    assertTrue(o1.key() != o2.key());
    assertEquals(d1.node().input(1), d2.node().input(1));
    assertEquals("step", d1.node().input(1).name());
  }

  @Test
  void extendingAGraphSharesItsNodes() {
    GraphBuilder b = new GraphBuilder("e");
    Tensor x = b.input("x", DType.F32, 2);
    Graph g = b.build(x.exp());
    GraphBuilder more = GraphBuilder.extending(g);
    Tensor y = more.tensor(g.output(0)).plus(1);
    Graph g2 = more.build(y);
    assertEquals(g.nodes(), g2.nodes().subList(0, g.nodes().size()));
  }

  @Test
  void activationsHaveTheirInputsType() {
    GraphBuilder b = new GraphBuilder("act");
    Tensor x = b.input("x", DType.F64, -1, 3);
    for (Tensor t : List.of(x.gelu(), x.silu(), x.softplus(), x.elu(1), x.leakyRelu(0.01), x.logSoftmax(-1))) {
      assertEquals(x.type(), t.type());
    }
  }
}
