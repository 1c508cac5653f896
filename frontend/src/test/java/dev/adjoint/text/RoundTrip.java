package dev.adjoint.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.dsl.CustomVjpRule;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import java.util.List;
import java.util.Map;

/** Prints a graph, parses the text and checks that nothing was lost on the way. */
final class RoundTrip {
  private RoundTrip() {}

  /** Returns the parsed graph after checking it against {@code graph}. */
  static Graph check(Graph graph, Map<String, CustomVjpRule> rules) {
    String text = GraphPrinter.print(graph);
    Graph parsed = GraphParser.parse(text, rules);
    assertEquals(text, GraphPrinter.print(parsed), "printing the parsed graph gives the same text");
    assertSameGraph(graph, parsed);
    return parsed;
  }

  static Graph check(Graph graph) {
    return check(graph, Map.of());
  }

  /** Same name, and node by node the same names, ops (records compare by value), types and operands. */
  static void assertSameGraph(Graph expected, Graph actual) {
    assertEquals(expected.name(), actual.name());
    assertEquals(expected.nodes().size(), actual.nodes().size(), "node count");
    for (int i = 0; i < expected.nodes().size(); i++) {
      Node e = expected.nodes().get(i);
      Node a = actual.nodes().get(i);
      assertEquals(e.name(), a.name(), "name of node " + i);
      assertEquals(e.op(), a.op(), "op of node " + e.name());
      assertEquals(e.type(), a.type(), "type of node " + e.name());
      assertEquals(names(e.inputs()), names(a.inputs()), "operands of node " + e.name());
    }
    assertEquals(names(expected.outputs()), names(actual.outputs()), "outputs");
  }

  private static List<String> names(List<Node> nodes) {
    return nodes.stream().map(Node::name).toList();
  }
}
