package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.testing.GradientCheck;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DSL's activations, built from primitives, against their textbook definitions (in double,
 * with Commons Math's erf for GELU) including extreme inputs, and their gradients against finite
 * differences away from the kinks.
 */
class ActivationsTest {
  private static final double[] POINTS = {-3.1, -1.2, -0.35, 0.2, 0.9, 2.7};
  private static final double[] EXTREMES = {-1000, -40, 40, 1000};

  static List<Arguments> activations() {
    return List.of(
        Arguments.of("sigmoid", (UnaryOperator<Tensor>) Tensor::sigmoid, (DoubleUnaryOperator) x -> 1 / (1 + Math.exp(-x))),
        Arguments.of("tanh", (UnaryOperator<Tensor>) Tensor::tanh, (DoubleUnaryOperator) Math::tanh),
        Arguments.of("relu", (UnaryOperator<Tensor>) Tensor::relu, (DoubleUnaryOperator) x -> Math.max(x, 0)),
        Arguments.of("leaky_relu", (UnaryOperator<Tensor>) t -> t.leakyRelu(0.1),
            (DoubleUnaryOperator) x -> x > 0 ? x : 0.1 * x),
        Arguments.of("elu", (UnaryOperator<Tensor>) t -> t.elu(1.5),
            (DoubleUnaryOperator) x -> x > 0 ? x : 1.5 * (Math.exp(x) - 1)),
        Arguments.of("softplus", (UnaryOperator<Tensor>) Tensor::softplus,
            (DoubleUnaryOperator) x -> x > 30 ? x : Math.log1p(Math.exp(x))),
        Arguments.of("gelu", (UnaryOperator<Tensor>) Tensor::gelu,
            (DoubleUnaryOperator) x -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)))),
        Arguments.of("silu", (UnaryOperator<Tensor>) Tensor::silu, (DoubleUnaryOperator) x -> x / (1 + Math.exp(-x))));
  }

  private static NDArray eval(UnaryOperator<Tensor> f, double[] xs) {
    GraphBuilder b = new GraphBuilder("act");
    Tensor x = b.input("x", DType.F64, xs.length);
    return ReferenceInterpreter.run(b.build(f.apply(x)), Map.of("x", NDArray.of(DType.F64, new int[] {xs.length}, xs)))
        .get(0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("activations")
  void matchesItsDefinition(String name, UnaryOperator<Tensor> f, DoubleUnaryOperator expected) {
    NDArray y = eval(f, POINTS);
    for (int i = 0; i < POINTS.length; i++) {
      double want = expected.applyAsDouble(POINTS[i]);
      assertEquals(want, y.get(i), 1e-14 * (1 + Math.abs(want)), name + " at " + POINTS[i]);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("activations")
  void staysFiniteAndCorrectAtExtremes(String name, UnaryOperator<Tensor> f, DoubleUnaryOperator expected) {
    NDArray y = eval(f, EXTREMES);
    for (int i = 0; i < EXTREMES.length; i++) {
      double want = expected.applyAsDouble(EXTREMES[i]);
      assertTrue(Double.isFinite(y.get(i)), name + " at " + EXTREMES[i] + " gave " + y.get(i));
      assertEquals(want, y.get(i), 1e-12 * (1 + Math.abs(want)), name + " at " + EXTREMES[i]);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("activations")
  void gradientMatchesFiniteDifferences(String name, UnaryOperator<Tensor> f, DoubleUnaryOperator expected) {
    GraphBuilder b = new GraphBuilder("act");
    Tensor x = b.input("x", DType.F64, POINTS.length);
    Graph g = b.build(f.apply(x));
    GradientCheck.assertGradients(g, 0, Map.of("x", NDArray.of(DType.F64, new int[] {POINTS.length}, POINTS)),
        List.of("x"));
  }
}
