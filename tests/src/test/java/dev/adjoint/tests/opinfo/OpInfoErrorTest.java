package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.ShapeException;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Each row's error inputs fail while the graph is built, with a {@link ShapeException} that names
 * the node, its op and the row's message fragment; its run-time error inputs fail in the
 * interpreter with a message naming the node and the offending row or position.
 */
class OpInfoErrorTest {

  @TestFactory
  Stream<DynamicNode> shapeRulesRejectErrorInputs() {
    return OpInfos.all().stream().map(row -> dynamicContainer(row.name(),
        row.errors().stream().map(e -> dynamicTest(e.fragment() + " " + e.operands(), () -> {
          String mnemonic = OpCase.of(row, row.samples().getFirst(), DType.F64).subject().op().mnemonic();
          String node = mnemonic + "_1";
          ShapeException thrown = assertThrows(ShapeException.class, () -> OpCase.inputsThen(e.operands(), e.build()),
              () -> row.name() + " on " + e.operands() + " should fail with '" + e.fragment() + "'");
          assertEquals(node, thrown.node(), thrown::getMessage);
          assertEquals(mnemonic, thrown.op(), thrown::getMessage);
          assertTrue(thrown.getMessage().startsWith("node '" + node + "' (op " + mnemonic + "): "), thrown::getMessage);
          assertTrue(thrown.reason().contains(e.fragment()),
              () -> "expected '" + e.fragment() + "' in: " + thrown.getMessage());
        }))));
  }

  @TestFactory
  Stream<DynamicNode> interpreterRejectsRunTimeErrorInputs() {
    return OpInfos.all().stream().filter(row -> !row.runTimeErrors().isEmpty()).map(row -> dynamicContainer(row.name(),
        row.runTimeErrors().stream().map(e -> dynamicTest(e.fragment(), () -> {
          Graph graph = OpCase.inputsThen(e.operands().stream().map(NDArray::type).toList(), row.build());
          Map<String, NDArray> feeds = new LinkedHashMap<>();
          for (int i = 0; i < e.operands().size(); i++) {
            feeds.put("x" + i, e.operands().get(i));
          }
          Node subject = graph.output(0);
          AdjointException thrown = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(graph, feeds),
              () -> row.name() + " on " + e.operands() + " should fail with '" + e.fragment() + "'");
          for (String part : List.of("node " + subject.describe(), e.fragment())) {
            assertTrue(thrown.getMessage().contains(part), () -> "expected '" + part + "' in: " + thrown.getMessage());
          }
        }))));
  }
}
