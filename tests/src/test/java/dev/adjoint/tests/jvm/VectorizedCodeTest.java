package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.parallel.Parallel;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Vector API code in generated loops: it is emitted where the Vector API is available, agrees with
 * the reference interpreter and with the scalar code on every length around the lane counts of
 * every species (so vector main loops and scalar tails both run), and its reductions give the same
 * bits for any thread count and in every run, interpreted or JIT-compiled.
 */
class VectorizedCodeTest {
  /** Lengths around every lane count (4 to 64), odd ones and one longer than a parallel chunk. */
  private static final int[] LENGTHS = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 40_003};

  private static Compiler compiler(boolean vectorize) {
    return Compiler.jvm(o -> o.vectorize(vectorize));
  }

  /** relu(x·a + b), and functions of it, in one fused loop. */
  private static Graph chain(DType dtype, int n) {
    GraphBuilder b = new GraphBuilder("chain");
    Tensor x = b.input("x", dtype, Shape.BATCH, n);
    Tensor a = b.input("a", dtype, n);
    Tensor h = x.times(a).plus(0.5).relu();
    Tensor smooth = x.exp().plus(x.abs().plus(1).log()).plus(x.tanh()).plus(x.sigmoid()).plus(x.abs().sqrt())
        .minus(x.unaryMinus().maximum(a)).plus(x.minimum(0.25)).div(a.abs().plus(1)).plus(x.sign()).plus(x.expm1());
    Tensor picked = x.gt(a).select(x.times(3), a.reciprocal());
    return b.build(h, smooth.plus(picked));
  }

  /**
   * A comparison stored as a BOOL tensor and read back by a select: compiled without fusion, one
   * loop stores a mask and the next loads it (the ReLU mask of a training step's backward pass).
   */
  private static Graph masks(DType dtype, int n) {
    GraphBuilder b = new GraphBuilder("masks");
    Tensor x = b.input("x", dtype, Shape.BATCH, n);
    Tensor a = b.input("a", dtype, n);
    Tensor mask = x.gt(a);
    return b.build(mask, mask.select(x, a.times(2)), mask.select(x.times(a), x.exp()).sum(1));
  }

  private static Compiler unfused(boolean vectorize) {
    return Compiler.jvm(o -> o.vectorize(vectorize).fusion(false));
  }

  /** Sums, maxima, minima and means over rows, and the row softmax, whose loops are reductions. */
  private static Graph reductions(DType dtype, int n) {
    GraphBuilder b = new GraphBuilder("rows");
    Tensor x = b.input("x", dtype, Shape.BATCH, n);
    return b.build(x.sum(1), x.max(1), x.min(1), x.mean(true, 1).plus(x), x.softmax(1), x.exp().sum(1));
  }

  private static Map<String, NDArray> feeds(Graph graph, int batch, long seed) {
    Random random = new Random(seed);
    Map<String, NDArray> feeds = new LinkedHashMap<>();
    for (String name : List.of("x", "a")) {
      if (graph.nodes().stream().anyMatch(node -> node.name().equals(name))) {
        TensorType type = graph.node(name).type();
        feeds.put(name, InputDomain.REAL.sample(type.shape().isBatched()
            ? type.withShape(Shape.of(batch, type.shape().dim(1))) : type, random));
      }
    }
    return feeds;
  }

  @Test
  void theDefaultIsVectorCodeWhereTheVectorApiIsAvailable() {
    assertTrue(VectorSupport.enabled(), "the tests run with --add-modules jdk.incubator.vector");
    assertTrue(Compiler.jvm().options().vectorize());
    for (DType dtype : List.of(DType.F32, DType.F64)) {
      String vectorType = dtype == DType.F32 ? "jdk/incubator/vector/FloatVector" : "jdk/incubator/vector/DoubleVector";
      CompiledProgram vector = compiler(true).compile(chain(dtype, 33));
      GeneratedCode.verify(vector);
      String listing = vector.bytecodeListing();
      assertTrue(listing.contains(vectorType + ".fromArray"), "vector loads in\n" + listing);
      assertTrue(listing.contains(vectorType + ".intoArray"), "vector stores in\n" + listing);
      assertTrue(listing.contains("dev/adjoint/runtime/ops/VectorMath.exp"), "vector exp in\n" + listing);
      CompiledProgram reductions = compiler(true).compile(reductions(dtype, 33));
      GeneratedCode.verify(reductions);
      assertTrue(reductions.bytecodeListing().contains("dev/adjoint/runtime/ops/VectorMath.sum"),
          () -> "vector sums in\n" + reductions.bytecodeListing());
      String masks = unfused(true).compile(masks(dtype, 33)).bytecodeListing();
      assertTrue(masks.contains("jdk/incubator/vector/VectorMask.intoArray"), "vector mask stores in\n" + masks);
      assertTrue(masks.contains("jdk/incubator/vector/VectorMask.fromArray"), "vector mask loads in\n" + masks);
      assertFalse(compiler(false).compile(chain(dtype, 33)).bytecodeListing().contains("jdk/incubator/vector"),
          "vectorize(false) gives scalar code");
    }
  }

  @Test
  void integerLoopsStayScalar() {
    GraphBuilder b = new GraphBuilder("ints");
    Tensor i = b.input("i", DType.I32, Shape.BATCH, 40);
    CompiledProgram program = compiler(true).compile(b.build(i.times(i).plus(3).sum(1)));
    GeneratedCode.verify(program);
    assertFalse(program.bytecodeListing().contains("jdk/incubator/vector"), program::bytecodeListing);
  }

  @Test
  void everyLengthMatchesTheInterpreterAndTheScalarCode() {
    for (DType dtype : List.of(DType.F32, DType.F64)) {
      for (int n : LENGTHS) {
        for (Graph graph : List.of(chain(dtype, n), reductions(dtype, n))) {
          CompiledProgram vector = compiler(true).compile(graph);
          CompiledProgram scalar = compiler(false).compile(graph);
          GeneratedCode.verify(vector);
          for (int batch : new int[] {1, 3}) {
            Map<String, NDArray> feeds = feeds(graph, batch, 31L * n + batch);
            String context = graph.name() + " " + dtype + " n = " + n + " N = " + batch;
            List<NDArray> expected = ReferenceInterpreter.run(graph, feeds);
            Compare.assertClose(expected, vector.run(feeds), () -> context + ", vector code");
            Compare.assertClose(scalar.run(feeds), vector.run(feeds), () -> context + ", vector against scalar code");
          }
        }
        Graph masks = masks(dtype, n);
        CompiledProgram vector = unfused(true).compile(masks);
        GeneratedCode.verify(vector);
        Map<String, NDArray> feeds = feeds(masks, 3, 17L * n);
        String context = "masks " + dtype + " n = " + n;
        Compare.assertClose(ReferenceInterpreter.run(masks, feeds), vector.run(feeds), () -> context + ", vector code");
        Compare.assertClose(unfused(false).compile(masks).run(feeds), vector.run(feeds),
            () -> context + ", vector against scalar code");
      }
    }
  }

  @Test
  void vectorReductionsGiveTheSameBitsForAnyThreadCountAndInEveryRun() {
    for (DType dtype : List.of(DType.F32, DType.F64)) {
      GraphBuilder b = new GraphBuilder("wide");
      Tensor x = b.input("x", dtype, Shape.BATCH, 5003);
      Tensor y = x.tanh().times(3);
      Graph graph = b.build(y.sum(1), y.softmax(1), y.exp().mean(true, 1), y.max(1));
      CompiledProgram program = compiler(true).compile(graph);
      Map<String, NDArray> feeds = feeds(graph, 40, 7);
      int initial = Parallel.threads();
      try {
        Parallel.setThreads(1);
        List<double[]> first = values(program.run(feeds)); // interpreted: before the JIT compiles anything
        for (int threads : new int[] {1, 2, 3}) {
          Parallel.setThreads(threads);
          for (int run = 0; run < 300; run++) {
            List<double[]> again = values(program.run(feeds));
            for (int v = 0; v < first.size(); v++) {
              // assertArrayEquals compares doubles by their bits: -0.0 is not 0.0 here.
              assertArrayEquals(first.get(v), again.get(v), dtype + " value " + v + ", " + threads + " threads, run "
                  + run);
            }
          }
        }
      } finally {
        Parallel.setThreads(initial);
      }
    }
  }

  private static List<double[]> values(List<NDArray> values) {
    List<double[]> arrays = new ArrayList<>();
    for (NDArray v : values) {
      double[] a = new double[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      arrays.add(a);
    }
    return arrays;
  }
}
