package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.parallel.Parallel;
import dev.adjoint.testing.InputDomain;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A training batch norm is one kernel with two vector reductions (its mean and variance, shared with
 * the running-statistics update) and a vector store loop; each goes into a method of its own (see
 * {@code Outline}), and the kernel still computes what the reference interpreter does, the same
 * bits on one thread as on two, and what the scalar code computes within the tolerance.
 */
class OutlinedVectorLoopsTest {

  private static Graph batchNorm(DType dtype) {
    GraphBuilder b = new GraphBuilder("bn").training(true);
    Tensor x = b.input("x", dtype, Shape.BATCH, 6, 5, 7);
    return b.build(BatchNorm.create(b, "bn", dtype, 6).invoke(x).relu());
  }

  @Test
  void aKernelWithSeveralVectorLoopsCallsOneMethodPerLoopAndComputesTheSame() {
    assumeTrue(VectorSupport.enabled(), "the Vector API module");
    for (DType dtype : List.of(DType.F32, DType.F64)) {
      Graph graph = batchNorm(dtype);
      CompiledProgram vector = Compiler.jvm().compile(graph);
      CompiledProgram scalar = Compiler.jvm(o -> o.vectorize(false)).compile(graph);
      String kernels = vector.kernelDump();
      assertEquals(2, kernels.split("= sum over", -1).length - 1,
          "the mean and the variance, each reduced once for the normalization and the running statistics:\n"
              + kernels);
      String listing = vector.bytecodeListing();
      assertTrue(listing.contains("_vector2("), "three outlined loops (two reductions, one store loop) in\n" + listing);
      assertTrue(!scalar.bytecodeListing().contains("_vector0("), "scalar code has nothing to outline");
      for (int batch : new int[] {1, 3, 9}) {
        Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, batch));
        feeds.put("x", InputDomain.REAL.sample(graph.node("x").type().withShape(Shape.of(batch, 6, 5, 7)),
            new Random(batch)));
        List<NDArray> expected = ReferenceInterpreter.run(graph, feeds);
        List<NDArray> twoThreads = vector.run(feeds);
        Compare.assertClose(expected, twoThreads, () -> dtype + " at N=" + batch);
        Compare.assertClose(expected, scalar.run(feeds), () -> dtype + " scalar at N=" + batch);
        int threads = Parallel.threads();
        try {
          Parallel.setThreads(1);
          assertArrayEquals(twoThreads.getFirst().toDoubleArray(), vector.run(feeds).getFirst().toDoubleArray());
        } finally {
          Parallel.setThreads(threads);
        }
      }
    }
  }
}
