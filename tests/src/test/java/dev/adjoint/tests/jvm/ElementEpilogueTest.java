package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.dsl.Conv2dOptions;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.kernel.Stmt;
import dev.adjoint.kernel.Walk;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.parallel.Parallel;
import dev.adjoint.testing.InputDomain;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Epilogues that the GEMM and convolution kernels apply per element, tile by tile, as they finish
 * their output: each case compiles with fusion, checks that the epilogue took the per-element form
 * (or, where an index cannot be split into the kernel's row and column, the form that runs after
 * the call), and matches the reference interpreter for F32 and F64 at several batch sizes, with
 * bitwise the same result on one thread as on two.
 */
class ElementEpilogueTest {

  /** {@code vectorizable}: the epilogue's ops all have vector forms (gelu's erf and dropout's Philox do not). */
  private record Case(String name, boolean perElement, boolean vectorizable, Function<DType, Graph> graph) {}

  private static final List<Case> CASES = List.of(
      new Case("dense + bias + gelu", true, false, t -> {
        GraphBuilder b = new GraphBuilder("dense");
        Tensor x = b.input("x", t, Shape.BATCH, 37);
        Tensor h = x.matmul(b.input("w", t, 37, 45)).plus(b.input("bias", t, 45)).gelu();
        return b.build(h);
      }),
      new Case("dense over leading dims + bias + tanh, then a residual", true, true, t -> {
        GraphBuilder b = new GraphBuilder("dense3");
        Tensor x = b.input("x", t, Shape.BATCH, 3, 16);
        Tensor h = x.matmul(b.input("w", t, 16, 16)).plus(b.input("bias", t, 16)).tanh().plus(x);
        return b.build(h);
      }),
      new Case("conv + batch norm + relu + residual", true, true, t -> {
        GraphBuilder b = new GraphBuilder("block");
        Tensor x = b.input("x", t, Shape.BATCH, 6, 9, 7);
        Tensor y = x.conv2d(b.input("k", t, 6, 3, 3, 3), Conv2dOptions.defaults().withPadding(Padding.same())
            .withGroups(2));
        Tensor bn = b.add(new Op.BatchNormInference(1e-5), y, b.input("gamma", t, 6), b.input("beta", t, 6),
            b.input("mean", t, 6), b.input("variance", t, 6).abs().plus(0.5));
        return b.build(bn.relu().plus(x));
      }),
      new Case("strided conv + dropout", true, false, t -> {
        GraphBuilder b = new GraphBuilder("dropout").seed(5).training(true);
        Tensor x = b.input("x", t, Shape.BATCH, 3, 11, 10);
        Tensor y = x.conv2d(b.input("k", t, 8, 3, 3, 3), 2, Padding.valid());
        return b.build(y.dropout(0.3));
      }),
      new Case("conv scaled per output row: runs after the call", false, false, t -> {
        GraphBuilder b = new GraphBuilder("rows");
        Tensor x = b.input("x", t, Shape.BATCH, 2, 8, 8);
        Tensor y = x.conv2d(b.input("k", t, 4, 2, 3, 3), 1, Padding.valid());
        return b.build(y.times(b.input("rowScale", t, 1, 1, 6, 1)).sigmoid());
      }));

  @TestFactory
  Stream<DynamicTest> perElementEpiloguesMatchTheInterpreter() {
    return CASES.stream().flatMap(c -> Stream.of(DType.F32, DType.F64).map(t ->
        dynamicTest(c.name() + " " + t.text(), () -> check(c, c.graph().apply(t)))));
  }

  private static void check(Case c, Graph graph) {
    CompiledProgram program = Compiler.jvm().compile(graph);
    long perElement = program.kernels().kernels().stream().flatMap(k -> calls(k.body()).stream())
        .filter(call -> call.perElement() != null).count();
    assertEquals(c.perElement() ? 1 : 0, perElement, program::kernelDump);
    if (c.perElement() && c.vectorizable() && VectorSupport.enabled()) {
      String listing = program.bytecodeListing();
      String tile = listing.substring(listing.indexOf("_tile0("));
      String vector = graph.output(0).dtype() == DType.F32 ? "FloatVector" : "DoubleVector";
      assertTrue(tile.contains("jdk/incubator/vector/" + vector + ".intoArray"), "a vector loop over each tile row");
    }
    for (int batch : new int[] {1, 3, 17}) {
      Map<String, NDArray> feeds = feeds(graph, batch);
      List<NDArray> expected = ReferenceInterpreter.run(graph, feeds);
      List<NDArray> twoThreads = program.run(feeds);
      Compare.assertClose(expected, twoThreads, () -> c.name() + " at N=" + batch + "\n" + program.kernelDump());
      int threads = Parallel.threads();
      List<NDArray> oneThread;
      try {
        Parallel.setThreads(1);
        oneThread = program.run(feeds);
      } finally {
        Parallel.setThreads(threads);
      }
      assertArrayEquals(oneThread.getFirst().toDoubleArray(), twoThreads.getFirst().toDoubleArray(),
          () -> c.name() + ": the thread count changed a bit at N=" + batch);
    }
  }

  private static List<Stmt.Call> calls(List<Stmt> body) {
    List<Stmt.Call> calls = new java.util.ArrayList<>();
    Walk.statements(body, s -> {
      if (s instanceof Stmt.Call call) {
        calls.add(call);
      }
    });
    return calls;
  }

  private static Map<String, NDArray> feeds(Graph graph, int batch) {
    Map<String, NDArray> feeds = new HashMap<>();
    Random random = new Random(batch);
    for (Node input : graph.inputs()) {
      Shape shape = input.shape().resolve(batch);
      InputDomain domain = input.dtype().isFloating() ? InputDomain.REAL : InputDomain.integers(1000);
      feeds.put(input.name(), domain.sample(input.type().withShape(shape), random));
    }
    return feeds;
  }
}
