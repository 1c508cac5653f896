package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GraphRewriterTest {

  /** x → exp → tanh, plus an unused sigmoid of x; returns the tanh. */
  private static Graph chain() {
    GraphBuilder b = new GraphBuilder("chain");
    Tensor x = b.input("x", F64, 2, 3);
    Tensor e = x.exp();
    x.sigmoid();
    return b.build(e.tanh());
  }

  private static boolean isExp(Node node) {
    return node.op() instanceof Op.Unary u && u.fn() == Op.UnaryFn.EXP;
  }

  private static List<String> names(Graph g) {
    return g.nodes().stream().map(Node::name).toList();
  }

  @Test
  void keepingEveryNodeReturnsTheSameGraph() {
    Graph g = chain();
    assertSame(g, GraphRewriter.rewrite(g, (node, r) -> r.keep(node)));
    assertSame(g, GraphRewriter.retain(g, node -> true));
  }

  @Test
  void droppingANodeRenumbersConsecutivelyAndKeepsNames() {
    Graph g = chain();
    Graph h = GraphRewriter.retain(g, node -> !node.name().equals("sigmoid_1"));
    assertEquals(List.of("x", "exp_1", "tanh_1"), names(h));
    assertEquals(IntStream.range(0, 3).boxed().toList(), h.nodes().stream().map(Node::id).toList());
    // Nodes before the first change are shared; the tanh after it is rebuilt on the same inputs.
    assertSame(g.node("exp_1"), h.node("exp_1"));
    assertSame(h.node("exp_1"), h.node("tanh_1").input(0));
    assertSame(h.node("tanh_1"), h.output(0));
  }

  @Test
  void usersOfAReplacedNodeReadItsReplacement() {
    Graph g = chain();
    Graph h = GraphRewriter.rewrite(g, (node, r) ->
        isExp(node) ? r.replace(node, new Op.Unary(Op.UnaryFn.EXPM1), r.inputs(node)) : r.keep(node));
    assertEquals(
        """
        graph chain {
          x = input : f64[2,3]
          exp_1 = expm1(x) : f64[2,3]
          sigmoid_1 = sigmoid(x) : f64[2,3]
          tanh_1 = tanh(exp_1) : f64[2,3]
          return tanh_1
        }
        """,
        GraphPrinter.print(h));
  }

  @Test
  void mappingANodeToAnotherRedirectsItsUsersAndOutputs() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Tensor e = x.exp();
    Graph g = b.build(e.tanh(), e);
    Graph h = GraphRewriter.rewrite(g, (node, r) -> isExp(node) ? r.input(node, 0) : r.keep(node));
    assertEquals(List.of("x", "tanh_1"), names(h));
    assertSame(h.node("x"), h.node("tanh_1").input(0));
    assertEquals(List.of(h.node("tanh_1"), h.node("x")), h.outputs());
  }

  @Test
  void stateUpdatesMoveToTheStandIns() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Tensor s = b.state("s", F64, Shape.of(2), Initializer.zeros());
    b.assign(s, x.exp());
    Graph g = b.build(x);
    Graph h = GraphRewriter.rewrite(g, (node, r) ->
        isExp(node) ? r.replace(node, new Op.Unary(Op.UnaryFn.EXPM1), r.inputs(node)) : r.keep(node));
    assertEquals(List.of(new StateUpdate(h.node("s"), h.node("exp_1"))), h.updates());
    AdjointException e = assertThrows(AdjointException.class, () -> GraphRewriter.retain(g, node -> !isExp(node)));
    assertTrue(e.getMessage().contains("the update of 's' (state) uses 'exp_1' (exp), which was dropped"),
        e.getMessage());
  }

  @Test
  void helperNamesAvoidEveryNameOfTheOldAndTheNewGraph() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Tensor h = x.exp().named("h");
    Tensor later = h.tanh().named("h_2");
    Graph g = b.build(later);
    Graph out = GraphRewriter.rewrite(g, (node, r) -> {
      if (!isExp(node)) {
        return r.keep(node);
      }
      Node first = r.emit("h", new Op.Unary(Op.UnaryFn.NEG), r.inputs(node));
      Node second = r.emit("h", new Op.Unary(Op.UnaryFn.NEG), List.of(first));
      return r.replace(node, new Op.Unary(Op.UnaryFn.EXP), List.of(second));
    });
    // "h" and "h_2" belong to the old graph, so the helpers get h_3 and h_4.
    assertEquals(List.of("x", "h_3", "h_4", "h", "h_2"), names(out));
    assertEquals(IntStream.range(0, 5).boxed().toList(), out.nodes().stream().map(Node::id).toList());
  }

  @Test
  void droppingANodeThatIsStillUsedNamesBoth() {
    Graph g = chain();
    AdjointException e = assertThrows(AdjointException.class, () -> GraphRewriter.retain(g, node -> !isExp(node)));
    assertTrue(e.getMessage().contains("'tanh_1' (tanh) uses 'exp_1' (exp), which was dropped"), e.getMessage());
  }

  @Test
  void droppingAnOutputIsAnError() {
    Graph g = chain();
    AdjointException e = assertThrows(AdjointException.class,
        () -> GraphRewriter.retain(g, node -> !node.name().equals("tanh_1")));
    assertTrue(e.getMessage().contains("output 0 uses 'tanh_1' (tanh)"), e.getMessage());
  }

  @Test
  void aStandInOfAnotherTypeIsRejected() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 1);
    Graph g = b.build(x.plus(b.constant(F64, new int[] {3}, 0, 0, 0)));
    AdjointException e = assertThrows(AdjointException.class, () -> GraphRewriter.rewrite(g,
        (node, r) -> node.op() instanceof Op.Binary ? r.input(node, 0) : r.keep(node)));
    assertTrue(e.getMessage().contains(
        "'add_1' (add) of type f64[2,3] would be replaced by 'x' (input) of type f64[2,1]"), e.getMessage());
  }

  @Test
  void aStandInFromOutsideTheNewGraphIsRejected() {
    Graph g = chain();
    AdjointException e = assertThrows(AdjointException.class,
        () -> GraphRewriter.rewrite(g, (node, r) -> isExp(node) ? node : r.keep(node)));
    assertTrue(e.getMessage().contains("the stand-in for 'exp_1' (exp), 'exp_1' (exp), is not a node of the new graph"),
        e.getMessage());
  }

  @Test
  void replacingANodeTwiceIsRejected() {
    Graph g = chain();
    AdjointException e = assertThrows(AdjointException.class, () -> GraphRewriter.rewrite(g, (node, r) -> {
      r.keep(node);
      return r.keep(node);
    }));
    assertTrue(e.getMessage().contains("'x' (input) is added twice"), e.getMessage());
  }
}
