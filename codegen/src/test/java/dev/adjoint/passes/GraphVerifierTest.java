package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Deliberately broken passes, each caught by the verifier that a pipeline runs after every pass,
 * with the pass's name and the offending node in the message. (A node whose type disagrees with
 * its op cannot be built at all: {@code Node.create} types every node.)
 */
class GraphVerifierTest {

  /**
   * {@code (x + zeros[3])·w} for {@code x : [2,1]} (type [2,3]), with an unused input y and a state
   * s that takes {@code w + 1}.
   */
  private static Graph graph() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 1);
    b.input("y", F64, 3);
    Tensor w = b.parameter("w", F64, Initializer.ones(), 3);
    b.assign(b.state("s", F64, Shape.of(3), Initializer.zeros()), w.plus(1));
    return b.build(x.plus(b.constant(F64, new int[] {3}, 0, 0, 0)).times(w));
  }

  private static Pass broken(String name, UnaryOperator<Graph> body) {
    return new Pass() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Graph run(Graph graph) {
        return body.apply(graph);
      }
    };
  }

  private static String failure(Pass pass) {
    return assertThrows(AdjointException.class, () -> Pipeline.of(pass).run(graph())).getMessage();
  }

  private static void assertMentions(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
    }
  }

  @Test
  void aWellTypedGraphPasses() {
    Graph g = graph();
    assertDoesNotThrow(() -> GraphVerifier.verify(g, "none"));
    assertDoesNotThrow(() -> GraphVerifier.verify(g, g, "none"));
  }

  @Test
  void aPassThatChangesAnOutputTypeIsCaught() {
    // Simplifies x + 0 to x although the 0 broadcasts x from [2,1] to [2,3].
    Pass pass = broken("broken-simplify", g -> {
      List<Node> nodes = new ArrayList<>(g.nodes());
      nodes.remove(g.output(0));
      return new Graph(g.name(), nodes, List.of(g.node("x")), g.updates());
    });
    assertMentions(failure(pass), "pass 'broken-simplify'", "'x' (input) is output 0 of type f64[2,1]",
        "that output was 'mul_1' (mul) of type f64[2,3]");
  }

  @Test
  void aPassThatReusesIdsIsCaught() {
    Pass pass = broken("broken-ids", g -> {
      List<Node> nodes = new ArrayList<>();
      for (Node n : g.nodes()) {
        List<Node> inputs = n.inputs().stream().map(i -> nodes.get(g.nodes().indexOf(i))).toList();
        nodes.add(Node.create(0, n.name(), n.op(), inputs));
      }
      return new Graph(g.name(), nodes, List.of(nodes.getLast()));
    });
    assertMentions(failure(pass), "pass 'broken-ids'", "node 'y' (input) has id 0, as 'x' (input) does");
  }

  @Test
  void aPassThatRemovesAnUnusedInputIsCaught() {
    Pass pass = broken("broken-dce", g -> new Graph(g.name(),
        g.nodes().stream().filter(n -> !n.name().equals("y")).toList(), g.outputs()));
    assertMentions(failure(pass), "pass 'broken-dce'", "node 'y' (input) was removed");
  }

  @Test
  void aPassThatChangesAParameterIsCaught() {
    Pass pass = broken("broken-init", g -> GraphRewriter.rewrite(g, (node, r) -> node.op() instanceof Op.Parameter p
        ? r.replace(node, new Op.Parameter(p.type(), Initializer.zeros(), p.key()), List.of())
        : r.keep(node)));
    assertMentions(failure(pass), "pass 'broken-init'", "node 'w' (parameter) changed from");
  }

  @Test
  void aPassThatAddsAnInputIsCaught() {
    Pass pass = broken("broken-signature", g -> {
      List<Node> nodes = new ArrayList<>(g.nodes());
      nodes.add(Node.create(nodes.size(), "extra", new Op.Input(TensorType.of(F64)), List.of()));
      return new Graph(g.name(), nodes, g.outputs());
    });
    assertMentions(failure(pass), "pass 'broken-signature'", "node 'extra' (input) is a new leaf");
  }

  @Test
  void aPassThatDropsAnOutputIsCaught() {
    Pass pass = broken("broken-outputs", g -> new Graph(g.name(), g.nodes(), List.of()));
    assertMentions(failure(pass), "pass 'broken-outputs'", "with 0 outputs instead of 1");
  }

  @Test
  void aPassThatDropsAStateUpdateIsCaught() {
    Pass pass = broken("broken-updates", g -> new Graph(g.name(), g.nodes(), g.outputs()));
    assertMentions(failure(pass), "pass 'broken-updates'", "updating states [] instead of [s]");
  }

  @Test
  void aPassThatThrowsIsNamed() {
    Pass pass = broken("broken-throw", g -> {
      throw new IllegalStateException("boom");
    });
    assertMentions(failure(pass), "pass 'broken-throw' failed on graph 'g'", "boom");
  }
}
