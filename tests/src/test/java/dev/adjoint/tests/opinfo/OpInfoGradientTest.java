package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.testing.GradientCheck;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradients of every row, in f64, on {@value #TRIES} random feeds per row (cycling through the
 * row's samples, N drawn from 1 to 3). A differentiable row is checked against central finite
 * differences over the full Jacobian with respect to every differentiable operand (eps 1e-6, atol
 * 1e-5, rtol 1e-3); a non-differentiable one must get zero cotangents from autodiff. One dynamic
 * test per row, stopping at its first failing feed, whose seed the message gives.
 */
class OpInfoGradientTest {
  static final int TRIES = 100;

  static final GradientCheck.Options OPTIONS = GradientCheck.Options.defaults()
      .withEps(1e-6).withAtol(1e-5).withRtol(1e-3).withMode(GradientCheck.Mode.FULL_JACOBIAN);

  @TestFactory
  Stream<DynamicTest> autodiffMatchesFiniteDifferences() {
    return rowsWith(OpInfo.GradientKind.FINITE_DIFFERENCES).map(row -> dynamicTest(row.name(), () -> {
      List<OpCase> cases = OpCase.all(row, DType.F64).stream().filter(c -> row.differentiableIn(c.types())).toList();
      assertFalse(cases.isEmpty(), "row '" + row.name() + "' has no sample with floating differentiable operands");
      for (int t = 0; t < TRIES; t++) {
        OpCase c = cases.get(t % cases.size());
        Feed feed = Feed.draw(c, t);
        GradientCheck.Result result = explained(feed, () ->
            GradientCheck.check(c.graph(), 0, feed.values(), c.differentiableOperands(), OPTIONS));
        if (!result.passed()) {
          fail(feed + ": " + result.summary());
        }
      }
    }));
  }

  /** Rows without floating operands (one_hot) are covered by {@link #integerAndBooleanOperandsGetNoGradient}. */
  @TestFactory
  Stream<DynamicTest> nonDifferentiableOpsGiveZeroCotangents() {
    return rowsWith(OpInfo.GradientKind.ZERO)
        .filter(row -> row.samples().stream().anyMatch(s -> s.stream().anyMatch(t -> t.dtype().isFloating())))
        .map(row -> dynamicTest(row.name(), () -> {
          List<ZeroCheck> cases =
              OpCase.all(row, DType.F64).stream().map(ZeroCheck::of).filter(z -> !z.wrt().isEmpty()).toList();
          for (int t = 0; t < TRIES; t++) {
            ZeroCheck z = cases.get(t % cases.size());
            Feed feed = Feed.draw(z.opCase(), t);
            Map<String, NDArray> values = new LinkedHashMap<>(feed.values());
            Node cotangent = z.graph().node(ZeroCheck.COTANGENT);
            values.put(ZeroCheck.COTANGENT, InputDomain.REAL.sample(
                cotangent.type().withShape(cotangent.shape().resolve(feed.batch())), new Random(~feed.seed())));
            List<NDArray> grads = explained(feed, () -> ReferenceInterpreter.run(z.graph(), values));
            for (int w = 0; w < grads.size(); w++) {
              NDArray g = grads.get(w);
              for (int i = 0; i < g.size(); i++) {
                if (g.get(i) != 0) {
                  fail(feed + ": the cotangent of '" + z.wrt().get(w) + "' is " + g + ", expected zeros");
                }
              }
            }
          }
        }));
  }

  /** Autodiff refuses to differentiate with respect to an integer or boolean operand, in every row. */
  @TestFactory
  Stream<DynamicTest> integerAndBooleanOperandsGetNoGradient() {
    return OpInfos.all().stream()
        .filter(row -> row.samples().stream().anyMatch(s -> s.stream().anyMatch(t -> !t.dtype().isFloating())))
        .map(row -> dynamicTest(row.name(), () -> {
          for (OpCase c : OpCase.all(row, DType.F64)) {
            for (Node operand : c.operands()) {
              if (!operand.dtype().isFloating()) {
                GraphBuilder b = GraphBuilder.extending(c.graph());
                Tensor out = ZeroCheck.floatingOutput(b.tensor(c.subject()));
                Tensor cotangent = b.input(ZeroCheck.COTANGENT, out.type());
                AdjointException e = assertThrows(AdjointException.class,
                    () -> Autodiff.vjp(out, cotangent, List.of(b.tensor(operand))), c.toString());
                assertTrue(e.getMessage().contains("only f32 and f64 values have gradients"), e::getMessage);
              }
            }
          }
        }));
  }

  private static Stream<OpInfo> rowsWith(OpInfo.GradientKind kind) {
    return OpInfos.all().stream().filter(r -> r.gradient() == kind);
  }

  /** Runs {@code body}, naming the case and feed if it throws. */
  private static <T> T explained(Feed feed, Supplier<T> body) {
    try {
      return body.get();
    } catch (AdjointException e) {
      throw new AssertionError(feed + ": " + e.getMessage(), e);
    }
  }

  /**
   * The VJP of the subject (cast to f64 if it is not floating) with respect to its floating fed
   * operands, under a cotangent input.
   */
  record ZeroCheck(OpCase opCase, Graph graph, List<String> wrt) {
    static final String COTANGENT = "cotangent";

    static ZeroCheck of(OpCase c) {
      GraphBuilder b = GraphBuilder.extending(c.graph());
      Tensor out = floatingOutput(b.tensor(c.subject()));
      Tensor cotangent = b.input(COTANGENT, out.type());
      List<Tensor> wrt = new ArrayList<>();
      for (Node operand : c.operands()) {
        if (operand.dtype().isFloating()) {
          wrt.add(b.tensor(operand));
        }
      }
      List<Tensor> grads = wrt.isEmpty() ? List.of() : Autodiff.vjp(out, cotangent, wrt);
      return new ZeroCheck(c, b.build(grads), wrt.stream().map(Tensor::name).toList());
    }

    /** A non-floating value reaches a loss only through a cast; its cotangent stops at the cast. */
    static Tensor floatingOutput(Tensor y) {
      return y.dtype().isFloating() ? y : y.cast(DType.F64);
    }
  }
}
