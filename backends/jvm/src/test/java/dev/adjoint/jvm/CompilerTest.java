package dev.adjoint.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compiler's options, dumps and run-time errors. */
class CompilerTest {

  private static Graph softmax() {
    GraphBuilder b = new GraphBuilder("softmax");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 4);
    return b.build(x.times(2).softmax(1).named("p"));
  }

  @Test
  void dumpsWhatItIsAskedFor() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
    Compiler.jvm(o -> o.printIr(true).printKernels(true).printBytecode(true).out(print)).compile(softmax());
    String text = out.toString(StandardCharsets.UTF_8);
    for (String part : List.of("# IR before decompose-composites", "# IR lowered", "program 'softmax': 1 kernels",
        "memory: N = 1: arena", "// class dev.adjoint.generated.", "INVOKESTATIC java/lang/Math.exp (D)D")) {
      assertTrue(text.contains(part), () -> "expected '" + part + "' in:\n" + text);
    }
  }

  @Test
  void printsNothingByDefaultAndDumpsOnRequest() {
    CompiledProgram program = Compiler.jvm().compile(softmax());
    assertEquals(1, program.kernelCount());
    assertTrue(program.kernelDump().contains("parallel for i0 < N:"), program.kernelDump());
    assertTrue(program.bytecodeListing().contains("implements dev/adjoint/runtime/ops/CompiledBody"));
    assertEquals(2, program.classes().size(), "a driver and one class of kernels");
  }

  @Test
  void kernelFailuresNameTheNode() {
    GraphBuilder b = new GraphBuilder("division");
    Tensor a = b.input("a", DType.I64, Shape.BATCH, 2);
    Tensor d = b.input("d", DType.I64, Shape.BATCH, 2);
    Graph graph = b.build(a.div(d));
    Map<String, NDArray> feeds = Map.of("a", NDArray.of(DType.I64, Shape.of(2, 2), 1, 2, 3, 4),
        "d", NDArray.of(DType.I64, Shape.of(2, 2), 1, 1, 0, 1));
    AdjointException reference = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(graph, feeds));
    AdjointException compiled = assertThrows(AdjointException.class, () -> Compiler.jvm().compile(graph).run(feeds));
    assertEquals(reference.getMessage(), compiled.getMessage());
    assertEquals("node 'div_1' (div): integer division by zero at position [1, 0] (3 / 0); operands: (i64[2,2], "
        + "i64[2,2])", compiled.getMessage());
  }

  @Test
  void aLabelOutOfRangeNamesTheLossNotItsDecomposition() {
    GraphBuilder b = new GraphBuilder("classifier");
    Tensor logits = b.input("logits", DType.F32, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Graph graph = b.build(b.scope("head", () ->
        b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss")));
    Map<String, NDArray> feeds = Map.of("logits", NDArray.filled(DType.F32, Shape.of(2, 3), 0.5),
        "labels", NDArray.of(DType.I64, Shape.of(2), 2, 3));
    AdjointException reference = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(graph, feeds));
    for (boolean fusion : new boolean[] {false, true}) {
      AdjointException compiled = assertThrows(AdjointException.class,
          () -> Compiler.jvm(o -> o.fusion(fusion)).compile(graph).run(feeds));
      assertEquals(reference.getMessage(), compiled.getMessage());
    }
    assertTrue(reference.getMessage().startsWith("node 'head/loss' (softmax_cross_entropy): row 1 has label 3"),
        reference.getMessage());
  }

  @Test
  void aProgramWithoutBatchNeedsNoBatchedFeed() {
    GraphBuilder b = new GraphBuilder("fixed");
    Tensor x = b.input("x", DType.F32, 3);
    Tensor unused = b.input("unused", DType.F32, Shape.BATCH, 2);
    Graph graph = b.build(x.exp(), b.add(new Op.SizeOf(List.of(1), DType.I32), unused));
    List<NDArray> out = Compiler.jvm().compile(graph).run(Map.of("x", NDArray.filled(DType.F32, Shape.of(3), 0),
        "unused", NDArray.filled(DType.F32, Shape.of(5, 2), 0)));
    assertEquals(1, out.get(0).get(0));
    assertEquals(2, out.get(1).item());
  }
}
