package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.testing.GradientCheck;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Second derivatives of the smooth ops: the graph returns the VJP of the op under a cotangent
 * input, and each returned gradient is checked against finite differences with respect to the
 * op's operands and the cotangent. This differentiates the backward graph, so it checks the VJP
 * rules of the ops that the first-order rules emit.
 */
class OpInfoGradOfGradTest {
  private static final List<String> ROWS = List.of(
      "tanh", "exp", "sigmoid", "softmax(last axis)", "log_softmax(last axis)", "matmul",
      "matmul(transpose_a)", "matmul(transpose_b)", "matmul(transpose_a, transpose_b)", "softmax(axis 0)",
      "log_softmax(axis 0)", "expm1", "log", "log1p", "sqrt", "reciprocal", "erf", "div", "pow", "mul",
      "reduce_mean(last axis)", "softmax_cross_entropy(mean, integer labels)",
      "softmax_cross_entropy(none, probability targets)", "dropout(p=0.3)", "custom_vjp(tanh)",
      "conv2d(stride 2, asymmetric padding)", "conv2d(groups 2, stride [2, 1])", "conv2d(dilation 2, padding 1)",
      "conv2d_backward_input(stride 2, asymmetric padding)", "conv2d_backward_input(depthwise, 3 channels)",
      "conv2d_backward_filter(stride 2, asymmetric padding)", "conv2d_backward_filter(groups 2, stride [2, 1])",
      "max_pool2d(3x2, stride [2, 1], asymmetric padding)", "max_pool2d_backward(3x3, stride 1, padding 1)",
      "avg_pool2d(3x2, stride [2, 1], asymmetric padding, exclude padding)",
      "avg_pool2d_backward(3x3, stride 1, padding 1, exclude padding)", "batch_norm_training", "batch_norm_inference",
      "layer_norm(last axis)", "layer_norm(axis 1)");
  private static final int TRIES = 20;
  private static final String COTANGENT = "cotangent";

  @TestFactory
  Stream<DynamicTest> gradientsOfGradientsMatchFiniteDifferences() {
    return ROWS.stream().map(OpInfos::named).map(row -> dynamicTest(row.name(), () -> {
      List<OpCase> cases = OpCase.all(row, DType.F64).stream().filter(c -> row.differentiableIn(c.types())).toList();
      List<Graph> gradientGraphs = cases.stream().map(OpInfoGradOfGradTest::gradientGraph).toList();
      for (int t = 0; t < TRIES; t++) {
        OpCase c = cases.get(t % cases.size());
        Graph graph = gradientGraphs.get(t % cases.size());
        Feed feed = Feed.draw(c, t);
        Map<String, NDArray> values = new LinkedHashMap<>(feed.values());
        Node cotangent = graph.node(COTANGENT);
        values.put(COTANGENT, InputDomain.REAL.sample(
            cotangent.type().withShape(cotangent.shape().resolve(feed.batch())), new Random(~feed.seed())));
        List<String> wrt = new ArrayList<>(c.differentiableOperands());
        wrt.add(COTANGENT);
        for (int k = 0; k < graph.outputs().size(); k++) {
          GradientCheck.Result result = GradientCheck.check(graph, k, values, wrt, OpInfoGradientTest.OPTIONS);
          if (!result.passed()) {
            fail("gradient " + k + " of " + feed + ": " + result.summary());
          }
        }
      }
    }));
  }

  /** The row's graph extended with a cotangent input; its outputs are the VJPs for the differentiable operands. */
  private static Graph gradientGraph(OpCase c) {
    GraphBuilder b = GraphBuilder.extending(c.graph());
    Tensor y = b.tensor(c.subject());
    Tensor cotangent = b.input(COTANGENT, y.type());
    List<Tensor> wrt = c.differentiableOperands().stream().map(b::get).toList();
    return b.build(Autodiff.vjp(y, cotangent, wrt));
  }
}
