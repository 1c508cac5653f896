package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.text.GraphParser;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Every row's graph on every sample, in f64 and f32, survives the IR text form: parsing the
 * printed text prints the same text and gives, node by node, the same names, ops, types and
 * operands.
 */
class OpInfoTextTest {

  @TestFactory
  Stream<DynamicNode> printedGraphsParseBackToEqualGraphs() {
    return OpInfos.all().stream().map(row -> dynamicContainer(row.name(),
        Stream.of(DType.F64, DType.F32).flatMap(real -> OpCase.all(row, real).stream())
            .map(c -> dynamicTest(c + " in " + c.real(), () -> {
              String text = GraphPrinter.print(c.graph());
              Graph parsed = GraphParser.parse(text, row.rules());
              assertEquals(text, GraphPrinter.print(parsed), "printing the parsed graph gives the same text");
              assertSameGraph(c.graph(), parsed);
            }))));
  }

  private static void assertSameGraph(Graph expected, Graph actual) {
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
