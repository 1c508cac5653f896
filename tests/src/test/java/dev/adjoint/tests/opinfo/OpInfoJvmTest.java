package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.tests.jvm.GeneratedCode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Every OpInfo row on every sample, compiled for the JVM with fusion on and off, with and without
 * the pass pipeline, against the reference interpreter: within 1e-10 in f64 and 2e-3 in f32
 * (relative; values below 1 in magnitude absolutely), on feeds with N = 1, 2 and 3. Every generated
 * class passes ASM's verifier and no method exceeds the JIT's size limit. Run-time error inputs fail
 * on the JVM as in the interpreter.
 */
class OpInfoJvmTest {
  private static final int FEEDS_PER_SAMPLE = 3;

  /** One way of compiling. */
  private record Setting(boolean fusion, boolean passes) {
    Compiler compiler() {
      return Compiler.jvm(o -> o.fusion(fusion).passes(passes));
    }

    @Override
    public String toString() {
      return "fusion " + (fusion ? "on" : "off") + ", passes " + (passes ? "on" : "off");
    }
  }

  private static final List<Setting> SETTINGS =
      List.of(new Setting(true, true), new Setting(false, true), new Setting(true, false), new Setting(false, false));

  @TestFactory
  Stream<DynamicNode> compiledCodeMatchesTheInterpreter() {
    return OpInfos.all().stream().map(row -> dynamicContainer(row.name(),
        Stream.of(DType.F64, DType.F32).flatMap(real -> OpCase.all(row, real).stream())
            .map(c -> dynamicTest(c + " in " + c.real(), () -> {
              for (Setting s : SETTINGS) {
                check(c, s);
              }
            }))));
  }

  private static void check(OpCase c, Setting setting) {
    double tolerance = c.real() == DType.F64 ? 1e-10 : 2e-3;
    CompiledProgram program = setting.compiler().compile(c.graph());
    GeneratedCode.verify(program);
    for (int k = 0; k < FEEDS_PER_SAMPLE; k++) {
      long seed = c.toString().hashCode() * 31L + k;
      int batch = 1 + k;
      Map<String, NDArray> feeds = c.feeds(new Random(seed), batch);
      NDArray expected = ReferenceInterpreter.run(c.graph(), feeds).getFirst();
      NDArray actual = program.run(feeds).getFirst();
      String context = c + " in " + c.real() + ", " + setting + " (seed " + seed + ", N = " + batch + ", feeds "
          + feeds + ")";
      assertEquals(expected.type(), actual.type(), () -> context + ": type of the value");
      for (int i = 0; i < actual.size(); i++) {
        if (!OpInfoForwardTest.close(actual.get(i), expected.get(i), tolerance)) {
          fail(context + ": element " + i + " is " + actual.get(i) + ", the interpreter gives " + expected.get(i)
              + " (tolerance " + tolerance + ")\n" + program.kernelDump());
        }
      }
    }
  }

  @TestFactory
  Stream<DynamicNode> compiledCodeRejectsRunTimeErrorInputs() {
    return OpInfos.all().stream().filter(row -> !row.runTimeErrors().isEmpty()).map(row -> dynamicContainer(row.name(),
        row.runTimeErrors().stream().map(e -> dynamicTest(e.fragment(), () -> {
          Graph graph = OpCase.inputsThen(e.operands().stream().map(NDArray::type).toList(), row.build());
          Map<String, NDArray> feeds = new LinkedHashMap<>();
          for (int i = 0; i < e.operands().size(); i++) {
            feeds.put("x" + i, e.operands().get(i));
          }
          for (Setting s : SETTINGS) {
            CompiledProgram program = s.compiler().compile(graph);
            AdjointException thrown = assertThrows(AdjointException.class, () -> program.run(feeds),
                () -> row.name() + ", " + s + ": should fail with '" + e.fragment() + "'");
            // The message names the node, or, for a decomposed composite, its helper node.
            String node = "node '" + graph.output(0).name();
            for (String part : List.of(node, e.fragment())) {
              assertTrue(thrown.getMessage().contains(part), () -> "expected '" + part + "' in: " + thrown.getMessage());
            }
          }
        }))));
  }
}
