package dev.adjoint.testing;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.List;
import java.util.Map;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The usage that {@link AdjointArbitraries} documents: a user property-tests a model's gradients. */
class ModelGradientProperties {
  private final Graph graph = model();

  /** A small classifier: dense, tanh, dense, softmax cross-entropy against integer labels. */
  private static Graph model() {
    GraphBuilder b = new GraphBuilder("classifier");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor w = b.parameter("w", DType.F64, Initializer.xavierUniform(), 3, 4);
    Tensor bias = b.parameter("b", DType.F64, new Initializer.Uniform(-0.5, 0.5), 4);
    Tensor v = b.parameter("v", DType.F64, Initializer.xavierUniform(), 4, 3);
    Tensor logits = x.matmul(w).plus(bias).tanh().matmul(v);
    return b.build(b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss"));
  }

  @Provide
  Arbitrary<Map<String, NDArray>> feeds() {
    return AdjointArbitraries.feeds(graph, Map.of("labels", InputDomain.integers(3)), 42);
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void gradientsMatch(@ForAll("feeds") Map<String, NDArray> feeds) {
    GradientCheck.assertGradients(graph, 0, feeds, List.of("w", "b"));
  }

  @Property(tries = 30, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void gradientsMatchForInputsAndEveryParameter(@ForAll("feeds") Map<String, NDArray> feeds) {
    GradientCheck.assertGradients(graph, "loss", feeds, List.of("x", "w", "b", "v"));
  }
}
